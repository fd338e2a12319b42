// Written for lossbook. Loaded before require.js on pages with saved widget state.
// The widget manager (embed-amd.js, served from _static/) loads its icon fonts from its
// webpack public path, and RequireJS loads its modules by path: point both at _static/,
// where `make assets` put them, instead of a CDN or a folder beside the page.
var lossbookStatic = new URL(".", document.currentScript.src).href;
window.__jupyter_widgets_assets_path__ = lossbookStatic;
var require = {
  paths: {
    "@jupyter-widgets/html-manager/dist": lossbookStatic.replace(/\/$/, ""),
    // the other bundled modules find their fonts beside their own (virtual) address
    "@jupyter-widgets": lossbookStatic.replace(/\/$/, "")
  }
};
