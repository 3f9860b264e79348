import { useEffect, useRef } from 'react';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const COLOURS = ['#06c755', '#1f6feb', '#d97706', '#9333ea', '#dc2626'];

/** A bar chart (Chart.js) of a report's series by label, stacked or side by side. */
export function BarChart({ labels, series, stacked = false, label }: { labels: string[]; series: { name: string; values: number[] }[]; stacked?: boolean; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // compared by value: callers may pass new arrays with the same figures on every render
  const figures = JSON.stringify({ labels, series, stacked });
  useEffect(() => {
    const { labels, series, stacked } = JSON.parse(figures) as { labels: string[]; series: { name: string; values: number[] }[]; stacked: boolean };
    if (!canvas.current) return;
    const datasets: ChartDataset<'bar'>[] = series.map((s, i) => ({ label: s.name, data: s.values, backgroundColor: COLOURS[i % COLOURS.length] }));
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels, datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked }, y: { stacked, beginAtZero: true } } },
    });
    return () => chart.destroy();
  }, [figures]);
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
