// The waiting list's charts (Chart.js, static/vendor/chartjs): the public monthly report and the statistics.
// Figures come from the page's json_script (#waitlist-chart-data), never from inline code; each chart's text
// alternative is the table its caption names. A suppressed figure is null: no bar is drawn for it.
(() => {
  const COLOURS = { signed_up: "#0b5d78", matched: "#1e6b34", waiting: "#7a4a00" };

  const figures = () => {
    const script = document.getElementById("waitlist-chart-data");
    return script ? JSON.parse(script.textContent) : null;
  };

  const common = () => ({
    maintainAspectRatio: false,
    animation: false,
    locale: "fr-FR",
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
  });

  const builders = {
    "waitlist-months": (data) => ({
      type: "bar",
      data: {
        labels: data.months,
        datasets: [
          { label: data.series.signed_up, data: data.signed_up, backgroundColor: COLOURS.signed_up },
          { label: data.series.matched, data: data.matched, backgroundColor: COLOURS.matched },
        ],
      },
      options: { ...common(), scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    "waitlist-levels": (data) => ({
      type: "bar",
      data: {
        labels: data.levels,
        datasets: [{ label: data.series.waiting, data: data.waiting_by_level, backgroundColor: COLOURS.waiting }],
      },
      options: {
        ...common(),
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    }),
    "waitlist-communes": (data, canvas) => {
      // One bar per commune: the box grows with their number (CSSOM, allowed by the CSP).
      const narrow = window.matchMedia("(max-width: 767px)").matches;
      canvas.parentElement.style.height = `${Math.max(8, data.communes.length * (narrow ? 1.4 : 1.8) + 2.5)}rem`;
      const room = narrow ? 18 : 40;
      const short = (name) => (name.length > room ? `${name.slice(0, room - 1)}…` : name);
      return {
        type: "bar",
        data: {
          labels: data.communes,
          datasets: [{ label: data.series.waiting, data: data.commune_waiting, backgroundColor: COLOURS.waiting }],
        },
        options: {
          ...common(),
          indexAxis: "y",
          scales: {
            x: { beginAtZero: true, ticks: { precision: 0 } },
            y: { ticks: { autoSkip: false, callback: (value) => short(data.communes[value]) } },
          },
          plugins: { legend: { display: false } },
        },
      };
    },
  };

  const draw = () => {
    if (!window.Chart) return;
    const data = figures();
    if (!data) return;
    const style = getComputedStyle(document.body);
    window.Chart.defaults.font.family = style.fontFamily;
    window.Chart.defaults.color = style.color;
    document.querySelectorAll("canvas[data-chart^='waitlist-']").forEach((canvas) => {
      const build = builders[canvas.dataset.chart];
      if (!build || window.Chart.getChart(canvas)) return;
      new window.Chart(canvas, build(data, canvas));
    });
  };

  document.addEventListener("DOMContentLoaded", draw);
})();
