// Small progressive additions; every page works without them.
(function () {
  'use strict';

  // The language list applies as soon as a language is picked; the button stays for no-script use.
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    var form = select.form;
    if (!form) return;
    var fallback = form.querySelector('[data-autosubmit-fallback]');
    if (fallback) fallback.hidden = true;
    select.addEventListener('change', function () { form.submit(); });
  });

  // A copy button beside each published value, where the clipboard is available.
  var labels = document.body.dataset;
  if (navigator.clipboard && labels.copyLabel) {
    document.querySelectorAll('.setting-block .value').forEach(function (value) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy';
      button.textContent = labels.copyLabel;
      button.setAttribute('aria-label', labels.copyLabel + ': ' + value.textContent);
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(value.textContent || '').then(function () {
          button.textContent = labels.copiedLabel || labels.copyLabel;
          setTimeout(function () { button.textContent = labels.copyLabel; }, 1500);
        });
      });
      value.after(button);
    });
  }

  // Actions that cannot be undone ask first.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
