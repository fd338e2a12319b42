// Written for lossbook. What a reader meets on one built page (issue 16's measurements):
// visible code lines and assert lines, figures with captions and descriptive alt text,
// code blocks wider than their box, and the smallest text in any figure, in CSS pixels
// as displayed. Evaluated in the page by tests/test_browser.py and tests/measure_pages.py;
// resolves to a plain object.
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await sleep(50);
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  // widgets render after the page loads: wait for their figures
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (let i = 0; i < 400 && views.length &&
       document.querySelectorAll('.widget-output img').length < views.length; i++)
    await sleep(50);
  const main = document.querySelector('main') || document.body;
  const shown = el => el.isConnected && el.getClientRects().length > 0 &&
      getComputedStyle(el).visibility !== 'hidden';

  // code a reader sees without unfolding anything (folded cells sit in a closed <details>)
  const lines = pres => pres.flatMap(pre => pre.textContent.replace(/\n$/, '').split('\n'));
  const inputs = [...main.querySelectorAll('.cell .cell_input pre')].filter(shown);
  const codeLines = lines(inputs.filter(pre => !pre.closest('details:not([open])')));
  const foldedLines = lines(inputs.filter(pre => pre.closest('details:not([open])')));
  const asserts = codeLines.filter(line => /^\s*assert\b/.test(line));

  // blocks whose content is wider than their box (they scroll sideways), folded ones
  // included: unfold everything first
  main.querySelectorAll('details').forEach(d => { d.open = true; });
  await sleep(100);
  const blocks = [...main.querySelectorAll('pre')].filter(shown);
  const overflowing = blocks.filter(pre => pre.scrollWidth > pre.clientWidth + 1)
      .map(pre => pre.textContent.split('\n').reduce((a, b) => a.length >= b.length ? a : b).slice(0, 100));

  // figures: images in cell outputs and in widgets
  const images = [...main.querySelectorAll('.cell_output img, .widget-output img, figure img')]
      .filter(img => shown(img) && !img.closest('.sd-card'));
  const unique = [...new Set(images)];
  const pathLike = alt => !alt || /\.(svg|png|jpe?g)$/i.test(alt) || /^(\.\.\/|_images\/|\/)/.test(alt);
  const figures = [];
  for (const img of unique) {
    // a static figure's caption is its <figcaption>; a widget's is the caption under it
    const figure = img.closest('figure');
    const widget = img.closest('.widget-subarea');
    const caption = figure ? figure.querySelector('figcaption')
        : widget ? widget.querySelector('.lossbook-widget-caption') : null;
    const number = caption ? (caption.querySelector('.caption-number') || {}).textContent || '' : '';
    let smallest = null;
    const src = img.getAttribute('src') || '';
    let svg = null;
    try {
      if (src.startsWith('data:image/svg+xml')) {
        const body = src.slice(src.indexOf(',') + 1);
        svg = src.slice(0, src.indexOf(',')).endsWith(';base64') ? atob(body) : decodeURIComponent(body);
      } else if (/\.svg(\?|$)/.test(src)) {
        svg = await (await fetch(img.src)).text();
      }
    } catch (e) { svg = null; }
    if (svg) {
      const width = svg.match(/<svg[^>]*\swidth="([\d.]+)pt"/);
      // matplotlib draws text as glyph paths, scaled from a 100-unit em: scale(s -s) is s * 100 pt
      const scales = [...svg.matchAll(/scale\(([\d.]+) -[\d.]+\)/g)].map(m => +m[1] * 100);
      if (width && scales.length) {
        const shownScale = img.clientWidth / (+width[1] * 4 / 3);
        smallest = Math.min(...scales) * 4 / 3 * shownScale;
      }
    }
    figures.push({src: src.slice(0, 60), widget: !!img.closest('.widget-output'),
                  caption: caption ? caption.textContent.trim().slice(0, 120) : null, number,
                  alt: (img.getAttribute('alt') || '').slice(0, 120),
                  altIsPath: pathLike(img.getAttribute('alt')),
                  width: img.clientWidth, smallestTextPx: smallest});
  }
  // the page's small print: the size of <small> text in a paragraph of the page
  const paragraph = main.querySelector('p') || main;
  const probe = document.createElement('small');
  probe.textContent = 'x';
  paragraph.appendChild(probe);
  const smallPrint = parseFloat(getComputedStyle(probe).fontSize);
  probe.remove();
  return {
    codeLines: codeLines.length, foldedLines: foldedLines.length, assertLines: asserts.length,
    overflowing,
    figures, smallPrintPx: smallPrint,
    bodyPx: parseFloat(getComputedStyle(main.querySelector('p') || main).fontSize),
  };
})()
