using System.Globalization;
using System.Text;

namespace PrivateSigstore.Explorer;

/// <summary>
/// Entries per hour, from (index, time) samples of the log: the cumulative count is interpolated between samples, so a
/// log with more entries than samples gets an estimate (the page says how many samples it used). Rendered as an inline
/// SVG bar plot on the server (no script, no library).
/// </summary>
internal sealed record HourlyChart(DateTimeOffset Start, IReadOnlyList<double> Counts, int Samples, bool Exact)
{
    public const int MaxHours = 168;

    /// <summary>Bins hourly from the samples (sorted by index, times made non-decreasing).</summary>
    public static HourlyChart? From(IReadOnlyList<(long Index, DateTimeOffset Time)> samples, long size)
    {
        if (samples.Count == 0 || size <= 0) return null;
        var points = new List<(double Count, double T)>();
        var last = double.MinValue;
        foreach (var (index, time) in samples.OrderBy(s => s.Index))
        {
            var t = Math.Max(last, time.ToUnixTimeSeconds());
            last = t;
            points.Add((index, t));
        }
        var exact = samples.Count >= size;
        var end = Hour(points[^1].T) + 3600;
        var start = Math.Max(Hour(points[0].T), end - MaxHours * 3600);
        var counts = new List<double>();
        for (var h = start; h < end; h += 3600)
        {
            counts.Add(exact
                ? points.Count(p => p.T >= h && p.T < h + 3600)
                : Math.Max(0, Cumulative(points, h + 3600) - Cumulative(points, h)));
        }
        return new HourlyChart(DateTimeOffset.FromUnixTimeSeconds((long)start), counts, samples.Count, exact);
    }

    private static double Hour(double t) => Math.Floor(t / 3600) * 3600;

    /// <summary>Entries logged before <paramref name="t"/>: sample k means entry index k was logged at time T.</summary>
    private static double Cumulative(List<(double Index, double T)> points, double t)
    {
        if (t <= points[0].T) return 0;
        if (t > points[^1].T) return points[^1].Index + 1;
        for (var i = 1; i < points.Count; i++)
        {
            var (i1, t1) = points[i];
            if (t <= t1)
            {
                var (i0, t0) = points[i - 1];
                if (t1 <= t0) return i0 + 1;
                return i0 + 1 + (i1 - i0) * (t - t0) / (t1 - t0);
            }
        }
        return points[^1].Index + 1;
    }

    /// <summary>The plot as SVG markup: only numbers and dates go into it, formatted invariantly.</summary>
    public string ToSvg(string title)
    {
        const int width = 760, height = 240, left = 56, right = 12, top = 16, bottom = 40;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var max = Math.Max(1, Counts.Count == 0 ? 1 : Counts.Max());
        var niceMax = Nice(max);
        var barW = (double)plotW / Math.Max(1, Counts.Count);
        var sb = new StringBuilder();
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-labelledby=\"chart-title\" class=\"chart\">");
        sb.Append("<title id=\"chart-title\">").Append(System.Net.WebUtility.HtmlEncode(title)).Append("</title>");
        // Grid lines and y labels.
        for (var i = 0; i <= 4; i++)
        {
            var v = niceMax * i / 4;
            var y = top + plotH - plotH * i / 4.0;
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(y)}\" x2=\"{width - right}\" y2=\"{F(y)}\" class=\"grid\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\" class=\"axis\">{F(v)}</text>");
        }
        for (var i = 0; i < Counts.Count; i++)
        {
            var h = plotH * Counts[i] / niceMax;
            var x = left + i * barW;
            var hour = Start.AddHours(i);
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x + barW * 0.1)}\" y=\"{F(top + plotH - h)}\" width=\"{F(Math.Max(1, barW * 0.8))}\" height=\"{F(h)}\" class=\"bar\"><title>{hour.UtcDateTime:yyyy-MM-dd HH}:00 UTC: {F(Counts[i])} entries</title></rect>");
        }
        // X labels: at most 8.
        var step = Math.Max(1, (int)Math.Ceiling(Counts.Count / 8.0));
        for (var i = 0; i < Counts.Count; i += step)
        {
            var x = left + i * barW + barW / 2;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\" class=\"axis\">{Start.AddHours(i).UtcDateTime:MM-dd HH}h</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{width - right}\" y2=\"{top + plotH}\" class=\"axisline\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW / 2}\" y=\"{height - 4}\" text-anchor=\"middle\" class=\"axis\">hour (UTC)</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{top + plotH / 2}\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 12 {top + plotH / 2})\">entries / hour</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static double Nice(double max)
    {
        var p = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * p >= max) return m * p;
        }
        return 10 * p;
    }
}
