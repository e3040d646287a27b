// The dashboards' charts (Chart.js, static/vendor/chartjs): the referrals' dashboard and the SNP statistics
// ("snp-*"). Figures come from the page's json_script (#dashboard-chart-data), never from inline code; each
// chart's text alternative is the table its caption names. Drawn again when HTMX swaps the figures in after a
// change of filter.
(() => {
  const COLOURS = { sent: "#0b5d78", accepted: "#1e6b34", declined: "#a4161a", appointment: "#7a4a00" };
  // The calls' outcomes, in the order of RegulatedCall.Outcome (booked, advice, emergency, on call, no slot).
  const OUTCOME_COLOURS = ["#1e6b34", "#0b5d78", "#a4161a", "#7a4a00", "#5c5f66"];

  const figures = (root) => {
    const script = root.querySelector("#dashboard-chart-data") || document.getElementById("dashboard-chart-data");
    return script ? JSON.parse(script.textContent) : null;
  };

  const days = (value) => (value === null ? "—" : value.toLocaleString("fr-FR"));

  const common = () => ({
    maintainAspectRatio: false,
    animation: false,
    locale: "fr-FR",
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
  });

  // Horizontal bars, one line per label: the box grows with their number (CSSOM, allowed by the CSP); a long
  // name is cut on a phone (the tooltip and the table below give it whole).
  const horizontal = (canvas, labels, datasets, { legend = true } = {}) => {
    const narrow = window.matchMedia("(max-width: 767px)").matches;
    const perBar = (narrow ? 1.4 : 1.8) * Math.max(1, datasets.length * 0.75);
    canvas.parentElement.style.height = `${Math.max(8, labels.length * perBar + 2.5)}rem`;
    const room = narrow ? 20 : 48;
    const short = (name) => (name.length > room ? `${name.slice(0, room - 1)}…` : name);
    return {
      type: "bar",
      data: { labels, datasets },
      options: {
        ...common(),
        indexAxis: "y",
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { ticks: { autoSkip: false, callback: (value) => short(labels[value]) } },
        },
        plugins: legend ? common().plugins : { legend: { display: false } },
      },
    };
  };

  const offeredFilled = (data, labels, offered, filled) => [
    { label: data.series.offered, data: offered, backgroundColor: COLOURS.sent },
    { label: data.series.filled, data: filled, backgroundColor: COLOURS.accepted },
  ];

  const builders = {
    "snp-days": (data) => ({
      type: "bar",
      data: { labels: data.days, datasets: offeredFilled(data, data.days, data.offered, data.filled) },
      options: { ...common(), scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    "snp-calls": (data) => ({
      type: "bar",
      data: {
        labels: data.days,
        datasets: data.outcomes.map((outcome, index) => ({
          label: outcome.label,
          data: outcome.data,
          backgroundColor: OUTCOME_COLOURS[index % OUTCOME_COLOURS.length],
        })),
      },
      options: {
        ...common(),
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    }),
    "snp-audiences": (data, canvas) =>
      horizontal(canvas, data.audiences, offeredFilled(data, data.audiences, data.audience_offered, data.audience_filled)),
    "snp-communes": (data, canvas) =>
      horizontal(canvas, data.communes, offeredFilled(data, data.communes, data.commune_offered, data.commune_filled)),
    volume: (data) => ({
      type: "bar",
      data: {
        labels: data.months,
        datasets: [
          { label: data.series.sent, data: data.sent, backgroundColor: COLOURS.sent },
          { label: data.series.accepted, data: data.accepted, backgroundColor: COLOURS.accepted },
          { label: data.series.declined, data: data.declined, backgroundColor: COLOURS.declined },
        ],
      },
      options: { ...common(), scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    delays: (data) => ({
      type: "line",
      data: {
        labels: data.months,
        datasets: [
          { label: data.series.first_response, data: data.first_response_days, borderColor: COLOURS.sent,
            backgroundColor: COLOURS.sent, spanGaps: true },
          { label: data.series.appointment, data: data.appointment_days, borderColor: COLOURS.appointment,
            backgroundColor: COLOURS.appointment, spanGaps: true, borderDash: [6, 3] },
        ],
      },
      options: {
        ...common(),
        scales: { y: { beginAtZero: true } },
        plugins: {
          ...common().plugins,
          tooltip: { callbacks: { label: (item) => `${item.dataset.label} : ${days(item.raw)}` } },
        },
      },
    }),
    specialties: (data, canvas) => {
      // One bar per specialty: the box grows with their number (CSSOM, allowed by the CSP).
      const narrow = window.matchMedia("(max-width: 767px)").matches;
      const perBar = narrow ? 1.4 : 1.8;
      canvas.parentElement.style.height = `${Math.max(8, data.specialties.length * perBar + 2.5)}rem`;
      // A long name is cut on a phone (the tooltip and the table below give it whole).
      const room = narrow ? 20 : 48;
      const short = (name) => (name.length > room ? `${name.slice(0, room - 1)}…` : name);
      return {
        type: "bar",
        data: {
          labels: data.specialties,
          datasets: [{ label: data.series.sent, data: data.specialty_sent, backgroundColor: COLOURS.sent }],
        },
        options: {
          ...common(),
          indexAxis: "y",
          scales: {
            x: { beginAtZero: true, ticks: { precision: 0 } },
            y: { ticks: { autoSkip: false, callback: (value) => short(data.specialties[value]) } },
          },
          plugins: { legend: { display: false } },
        },
      };
    },
  };

  const draw = (root) => {
    if (!window.Chart) return;
    const data = figures(root);
    if (!data) return;
    const style = getComputedStyle(document.body);
    window.Chart.defaults.font.family = style.fontFamily;
    window.Chart.defaults.color = style.color;
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const build = builders[canvas.dataset.chart];
      if (!build || window.Chart.getChart(canvas)) return;
      new window.Chart(canvas, build(data, canvas));
    });
  };

  // Destroyed before a swap, the sizes Chart.js set on the canvas and its box taken off. The page keeps no HTMX
  // history snapshot (hx-history="false": a snapshot would carry those sizes as style attributes, which the CSP
  // refuses): Back loads the page again and "htmx:historyRestore" draws it.
  const release = (root) => {
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (window.Chart) window.Chart.getChart(canvas)?.destroy();
      canvas.removeAttribute("style");
      canvas.removeAttribute("width");
      canvas.removeAttribute("height");
      canvas.parentElement.removeAttribute("style");
    });
  };

  document.addEventListener("DOMContentLoaded", () => draw(document));
  document.addEventListener("htmx:beforeSwap", (event) => release(event.detail.target));
  document.addEventListener("htmx:afterSettle", (event) => draw(event.detail.target));
  document.addEventListener("htmx:historyRestore", () => draw(document));
})();
