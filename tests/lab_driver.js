// Installed in a JupyterLab page by tests/test_lab.py as window.lossbookLab. It reaches the
// application through window.jupyterapp (the server runs with
// --LabApp.expose_app_in_browser=True) and the widget controls through the DOM of
// ipywidgets 8 (.widget-slider with its noUiSlider handle, .widget-dropdown select,
// .widget-checkbox input), so it does not depend on how a chapter builds its widgets.
window.lossbookLab = (() => {
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

  async function until(what, test, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = test();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(100);
    }
  }

  let panel = null;
  // Every error and stderr message the kernel sends, whatever it answers: a cell, a widget's
  // message (ipywidgets shows a callback's traceback there), an Output widget. And the comms
  // the kernel opened (every widget it made), to tell them from comms the page opened.
  const heard = [];
  const kernelComms = [];
  const listen = (_, msg) => {
    const type = msg.header.msg_type;
    const answering = msg.parent_header.msg_type;
    if (type === 'error')
      heard.push(`${msg.content.ename}: ${msg.content.evalue} (answering ${answering})`);
    else if (type === 'stream' && msg.content.name === 'stderr')
      heard.push(`stderr: ${msg.content.text.slice(0, 500)} (answering ${answering})`);
    else if (type === 'comm_open')
      kernelComms.push(msg.content.comm_id);
  };

  const kernel = () => panel.sessionContext.session && panel.sessionContext.session.kernel;
  const kernelIdle = () => {
    const k = kernel();
    return k && k.connectionStatus === 'connected' && k.status === 'idle';
  };
  const codeCells = () => panel.content.widgets.filter(cell => cell.model.type === 'code');

  // Every OutputArea under a Lumino widget: the cells' own, and those of Output widgets.
  function* outputAreas(widget) {
    if (widget.hasClass('jp-OutputArea') && widget.model && widget.model.toJSON) yield widget;
    for (const child of widget.children()) yield* outputAreas(child);
  }

  // The figures a control drives: the images in the output of the cell that shows it.
  const figureSources = control =>
    [...control.closest('.jp-Cell-outputWrapper').querySelectorAll('img')].map(img => img.src);

  const controlOf = id => {
    const node = panel.node.querySelector(`[data-lossbook-control="${id}"]`);
    if (!node) throw new Error(`control ${id} is gone from the page`);
    return node;
  };

  // A control's description: the text of its labels (a checkbox has two, one of them empty).
  const description = node => [...node.querySelectorAll('label, .widget-label')]
    .map(label => label.textContent.replace(/\u200b/g, '').trim()).filter(Boolean)[0] || '';

  const cellIndex = node => panel.content.widgets.findIndex(cell => cell.node.contains(node));

  const waitForCells = timeoutMs => until('every cell to finish', () => kernelIdle() &&
    codeCells().every(cell => cell.model.executionState !== 'running'), timeoutMs);

  return {
    // Wait for the notebook at `path` to open with an idle kernel, and bring it to the front;
    // start listening to the kernel. Returns what the test checks, the user's document
    // settings (autosave) among them.
    async open(path) {
      const app = await until('window.jupyterapp', () => window.jupyterapp, 120000);
      await app.started;
      await app.restored;
      panel = await until(`${path} to open`,
        () => [...app.shell.widgets('main')].find(w => w.context && w.context.path === path), 120000);
      await panel.context.ready;
      await panel.sessionContext.ready;
      app.shell.activateById(panel.id);
      await until('the kernel to be idle', kernelIdle, 120000);
      kernel().iopubMessage.connect(listen);
      return {version: app.version, cells: panel.content.widgets.length,
              codeCells: codeCells().length, kernel: kernel().name,
              documentSettings: (await app.serviceManager.settings.fetch(
                '@jupyterlab/docmanager-extension:plugin')).raw};
    },

    // Clear every output, run every cell, wait until the kernel is idle again.
    async runAll(timeoutMs) {
      const app = window.jupyterapp;
      app.shell.activateById(panel.id);
      await app.commands.execute('notebook:clear-all-cell-outputs');
      const ran = await app.commands.execute('notebook:run-all-cells');
      await waitForCells(timeoutMs);
      return {ran, counts: codeCells().map(cell => cell.model.executionCount)};
    },

    // Every error and every stderr stream in any output area of the notebook,
    // with the number of output areas found by walking the Lumino widgets and in the DOM.
    problems() {
      const found = [];
      let areas = 0;
      for (const area of outputAreas(panel)) {
        areas += 1;
        for (const output of area.model.toJSON()) {
          if (output.output_type === 'error')
            found.push(`${output.ename}: ${output.evalue}`);
          else if (output.output_type === 'stream' && output.name === 'stderr')
            found.push(`stderr: ${[].concat(output.text).join('').slice(0, 500)}`);
        }
      }
      return {found, areas, domAreas: panel.node.querySelectorAll('.jp-OutputArea').length};
    },

    // The widget controls on the page, each tagged with an id for the calls below.
    controls() {
      const found = [];
      const selector = '.widget-slider, .widget-dropdown, .widget-checkbox';
      panel.node.querySelectorAll(selector).forEach((node, index) => {
        node.setAttribute('data-lossbook-control', String(index));
        const kind = node.classList.contains('widget-slider') ? 'slider'
                   : node.classList.contains('widget-dropdown') ? 'dropdown' : 'checkbox';
        const info = {id: index, kind, description: description(node), cell: cellIndex(node),
                      disabled: !!node.querySelector('[disabled]')};
        if (kind === 'slider') {
          const handle = node.querySelector('.noUi-handle');
          info.value = handle && handle.getAttribute('aria-valuenow');
          info.atMax = !!handle &&
            handle.getAttribute('aria-valuenow') === handle.getAttribute('aria-valuemax');
        } else if (kind === 'dropdown') {
          const select = node.querySelector('select');
          info.options = [...select.options].map(o => o.textContent);
          info.value = select.selectedIndex;
        } else {
          info.value = node.querySelector('input').checked;
        }
        info.figures = figureSources(node);
        found.push(info);
      });
      return found;
    },

    // Focus a slider's handle, so that a real key press moves it.
    focusSlider(id) {
      const handle = controlOf(id).querySelector('.noUi-handle');
      handle.scrollIntoView({block: 'center'});
      handle.focus();
      return document.activeElement === handle;
    },

    // Choose option `index` of a dropdown, as the browser does when a reader picks it.
    choose(id, index) {
      const select = controlOf(id).querySelector('select');
      select.scrollIntoView({block: 'center'});
      select.focus();
      select.selectedIndex = index;
      select.dispatchEvent(new Event('input', {bubbles: true}));
      select.dispatchEvent(new Event('change', {bubbles: true}));
      return select.value;
    },

    // Toggle a checkbox with a click.
    toggle(id) {
      const input = controlOf(id).querySelector('input');
      input.scrollIntoView({block: 'center'});
      input.click();
      return input.checked;
    },

    // Wait until the figures that control `id` drives differ from `before` (null if they do
    // not within the time), then for an idle kernel.
    async figureChange(id, before, timeoutMs) {
      const node = controlOf(id);
      const changed = () => {
        const now = figureSources(node);
        return now.length && JSON.stringify(now) !== JSON.stringify(before) ? now : null;
      };
      const after = await until('the figure to change', changed, timeoutMs).catch(() => null);
      await until('the kernel to be idle', kernelIdle, timeoutMs);
      return after;
    },

    state(id) {
      const node = controlOf(id);
      const handle = node.querySelector('.noUi-handle');
      const readout = node.querySelector('.widget-readout');
      return {value: handle ? handle.getAttribute('aria-valuenow') : null,
              readout: readout ? readout.textContent : null};
    },

    // Run code in the chapter's kernel (not in the notebook) and return what it printed.
    async inKernel(code) {
      const future = kernel().requestExecute({code, silent: false, store_history: false});
      let text = '';
      future.onIOPub = msg => {
        if (msg.header.msg_type === 'stream') text += msg.content.text;
        if (msg.header.msg_type === 'error') text += `${msg.content.ename}: ${msg.content.evalue}`;
      };
      await future.done;
      return text;
    },

    // Add a code cell at the end of the notebook (in the page only) and run it.
    async appendAndRun(code, timeoutMs) {
      const app = window.jupyterapp;
      app.shell.activateById(panel.id);
      panel.content.activeCellIndex = panel.content.widgets.length - 1;
      await app.commands.execute('notebook:insert-cell-below');
      panel.content.activeCell.model.sharedModel.setSource(code);
      await app.commands.execute('notebook:run-cell');
      await waitForCells(timeoutMs);
      return panel.content.activeCell.model.executionCount;
    },

    heard() { return {messages: heard, kernelComms}; },

    async shutdown() { await panel.sessionContext.shutdown(); return true; },
  };
})();
true;
