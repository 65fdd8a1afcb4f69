//! The `mixed` run over time, drawn as SVG: transactions finalised each second against the
//! rate offered, and each second's latency (p50 and p99).

use super::Outcome;
use anyhow::Context as _;
use plotters::prelude::*;
use std::path::Path;

/// Draws `outcome`'s timeline to `path`.
pub fn draw(path: &Path, outcome: &Outcome) -> anyhow::Result<()> {
    let timeline = &outcome.timeline;
    anyhow::ensure!(!timeline.is_empty(), "the run has no timeline to draw");
    let seconds = timeline.last().map_or(1, |s| s.at + 1);
    let peak_tps = timeline
        .iter()
        .map(|s| s.tps)
        .max()
        .unwrap_or(0)
        .max(outcome.offered);
    let peak_ms = timeline
        .iter()
        .map(|s| s.p99_ms)
        .filter(|ms| ms.is_finite())
        .fold(0.0f64, f64::max)
        .max(100.0);
    let failed = |e: DrawingAreaErrorKind<_>| anyhow::anyhow!("drawing the chart: {e:?}");

    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(failed)?;
    let (upper, lower) = root.split_vertically(280);

    let mut throughput = ChartBuilder::on(&upper)
        .caption(
            format!(
                "mixed: transactions finalised per second (offered {}/s)",
                outcome.offered
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0u64..seconds, 0u64..peak_tps + peak_tps / 5 + 1)
        .map_err(failed)?;
    throughput
        .configure_mesh()
        .x_desc("seconds since the load started")
        .y_desc("tx/s")
        .draw()
        .map_err(failed)?;
    throughput
        .draw_series(LineSeries::new(
            timeline.iter().map(|s| (s.at, s.tps)),
            BLUE.stroke_width(2),
        ))
        .map_err(failed)?
        .label("finalised")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    throughput
        .draw_series(LineSeries::new(
            [(0, outcome.offered), (seconds, outcome.offered)],
            BLACK.mix(0.5),
        ))
        .map_err(failed)?
        .label("offered")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
    throughput
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(failed)?;

    let mut latency = ChartBuilder::on(&lower)
        .caption(
            "submit-to-finalised latency of each second's transactions",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0u64..seconds, 0f64..peak_ms * 1.2)
        .map_err(failed)?;
    latency
        .configure_mesh()
        .x_desc("seconds since the load started")
        .y_desc("ms")
        .draw()
        .map_err(failed)?;
    for (label, colour, pick) in [
        (
            "p50",
            GREEN,
            (|s: &super::open_loop::Second| s.p50_ms) as fn(&_) -> f64,
        ),
        ("p99", RED, |s| s.p99_ms),
    ] {
        latency
            .draw_series(LineSeries::new(
                timeline
                    .iter()
                    .filter(|s| pick(s).is_finite())
                    .map(|s| (s.at, pick(s))),
                colour.stroke_width(2),
            ))
            .map_err(failed)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    latency
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(failed)?;
    root.present().map_err(failed)?;
    drop(root);
    std::fs::metadata(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
