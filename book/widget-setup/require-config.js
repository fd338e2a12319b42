// Written for lossbook. Loaded before require.js on pages with saved widget state.
// The widget manager (embed-amd.js, served from _static/) finds its icon fonts next to
// the URL of its module; point that module's path at _static/ so the fonts load from
// the built site instead of a folder beside the page.
var require = {
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL(".", document.currentScript.src).href.replace(/\/$/, "")
  }
};
