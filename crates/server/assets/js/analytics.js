// Analytics: charts with drill-down and CSV export.
export async function renderAnalytics(main) { main.textContent = "Analytics is being built."; }
