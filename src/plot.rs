//! Figures of an evaluation: see [`plot`].

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::metrics::{same_score, tie_groups, Evaluation};

/// Width of a figure, in pixels.
pub const PLOT_WIDTH: u32 = 1600;
/// Height of one label's row, in pixels: a figure is this times the number of labels high.
pub const PLOT_ROW_HEIGHT: u32 = 420;

const TITLE_HEIGHT: u32 = 40;
const FONT: &str = "sans-serif";
const DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// Bins of the score histograms.
const HISTOGRAM_BINS: usize = 30;
/// Curve points closer than this (in both rates) to the last one kept are left out: a
/// hundredth of a pixel apart they change nothing drawn, and keep an SVG small.
const MIN_STEP: f64 = 1e-3;

/// The image formats [`plot`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotFormat {
    /// Scalable vector graphics.
    Svg,
    /// A PNG image, 8-bit RGB.
    Png,
}

impl PlotFormat {
    /// The format a file name asks for by its extension (`.svg` or `.png`, in any case), or
    /// `None` for any other name.
    pub fn from_path(path: &Path) -> Option<PlotFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(PlotFormat::Svg),
            "png" => Some(PlotFormat::Png),
            _ => None,
        }
    }
}

/// A drawn figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The image file's bytes.
    pub bytes: Vec<u8>,
    /// What could not be drawn and why, one sentence per problem, each naming its label.
    pub notes: Vec<String>,
}

/// Draws every label of `eval`: one row per label, four panels per row.
///
/// | Panel            | x                           | y                          | Also drawn                            |
/// |------------------|-----------------------------|----------------------------|---------------------------------------|
/// | ROC              | false positive rate         | true positive rate         | operating point; chance diagonal      |
/// | Precision-recall | recall                      | precision                  | operating point; positive share       |
/// | Reliability      | mean probability of a bin   | share of positives in it   | diagonal (perfect calibration)        |
/// | Scores by class  | log-odds before calibration | share of the class per bin | where the threshold cuts the log-odds |
///
/// The figure is [`PLOT_WIDTH`] pixels wide and [`PLOT_ROW_HEIGHT`] high per label.
/// The operating point is what flagging `probability ≥ threshold` achieves, with the
/// threshold the model uses for the label. The curves rank comments by log-odds, as
/// [`binary_metrics`](crate::binary_metrics) does, so the ROC curve's area is the reported
/// ROC AUC. Each row is titled with the label, its ROC AUC and its F1 at the threshold.
///
/// A label whose curves are undefined (no positives, no negatives, no comments) still gets
/// its row: the panels that cannot be drawn say why, and [`Figure::notes`] says it again.
///
/// Text is measured and drawn with DejaVu Sans, embedded in the crate (`assets/fonts/`) and
/// rasterized by `ab_glyph`, so a PNG needs no system font; an SVG names the `sans-serif`
/// family and leaves the glyphs to the viewer. In an SVG each row is a `<g class="label">`
/// group whose `<title>` is the row's title.
pub fn plot(eval: &Evaluation, format: PlotFormat) -> Result<Figure> {
    if eval.labels.is_empty() {
        return Err(Error::Plot("there are no labels to draw".into()));
    }
    register_font()?;
    let rows = rows(eval);
    let notes = rows.iter().flat_map(|r| r.notes.iter().cloned()).collect();
    let bytes = match format {
        PlotFormat::Svg => svg(&rows)?,
        PlotFormat::Png => png(&rows)?,
    };
    Ok(Figure { bytes, notes })
}

fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Plot("the embedded font does not parse".into()))
    }
}

/// What one label's row shows, computed before any drawing.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    title: String,
    threshold: f64,
    /// (false positive rate, true positive rate); `None` without positives or negatives.
    roc: Option<Curve>,
    /// (recall, precision); `None` without positives.
    pr: Option<Curve>,
    /// The operating point on each curve.
    roc_point: (f64, f64),
    pr_point: (f64, f64),
    roc_auc: Option<f64>,
    pr_auc: Option<f64>,
    /// Share of positives: the precision of a ranking by chance.
    positive_share: f64,
    /// (mean probability, positive rate, comments) per non-empty bin.
    reliability: Vec<(f64, f64, u64)>,
    histogram: Option<Histogram>,
    notes: Vec<String>,
}

/// Log-odds histograms of the positives and the negatives over one range.
#[derive(Debug, Clone, PartialEq)]
struct Histogram {
    lo: f64,
    hi: f64,
    /// Per bin, the share of each class's comments in it.
    positives: Vec<f64>,
    negatives: Vec<f64>,
    /// Comments outside `lo..hi` (infinite ones too), counted in the edge bins.
    clipped: usize,
    /// Comments whose log-odds are not a number, in no bin.
    not_a_number: usize,
    /// The log-odds between the highest comment not flagged and the lowest flagged.
    cut: Option<f64>,
}

fn rows(eval: &Evaluation) -> Vec<Row> {
    let report = eval.report();
    eval.labels
        .iter()
        .zip(&report.labels)
        .enumerate()
        .map(|(l, ((name, threshold), (_, r)))| {
            let (ranks, probs, truth) = (&eval.ranks[l], &eval.probs[l], &eval.truth[l]);
            let m = &r.metrics;
            let positives = m.tp + m.fn_;
            let negatives = m.fp + m.tn;
            let mut notes = Vec::new();
            if truth.is_empty() {
                notes.push(format!("{name}: no comments were evaluated; nothing to draw"));
            } else if positives == 0 {
                notes.push(format!(
                    "{name}: no positive comments; the ROC and precision-recall curves are undefined"
                ));
            } else if negatives == 0 {
                notes.push(format!(
                    "{name}: no negative comments; the ROC curve is undefined"
                ));
            }
            if ranks.len() > 1 && ranks.iter().all(|&z| same_score(z, ranks[0])) {
                notes.push(format!(
                    "{name}: every comment has the same log-odds; the curves are one step \
                     and the histogram one bar"
                ));
            }
            let (roc, pr) = curves(ranks, truth);
            let rate = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            let auc = m.roc_auc.map_or_else(|| "n/a".into(), |a| format!("{a:.4}"));
            Row {
                title: format!(
                    "{name}: ROC AUC {auc}, F1 {:.4} at threshold {threshold:.4} \
                     ({positives} positive, {negatives} negative comments)",
                    m.f1
                ),
                threshold: *threshold,
                roc: (positives > 0 && negatives > 0).then_some(roc),
                pr: (positives > 0).then_some(pr),
                roc_point: (rate(m.fp, negatives), rate(m.tp, positives)),
                pr_point: (m.recall, m.precision),
                roc_auc: m.roc_auc,
                pr_auc: m.pr_auc,
                positive_share: rate(positives, positives + negatives),
                reliability: r
                    .reliability
                    .iter()
                    .map(|b| (b.mean_score, b.positive_rate, b.count))
                    .collect(),
                histogram: histogram(ranks, probs, truth, *threshold),
                notes,
            }
        })
        .collect()
}

/// Points of a curve, in data coordinates.
type Curve = Vec<(f64, f64)>;

/// The ROC and precision-recall curves over `ranks`, one point per run of tied scores.
fn curves(ranks: &[f64], truth: &[bool]) -> (Curve, Curve) {
    let positives = truth.iter().filter(|&&y| y).count() as f64;
    let negatives = truth.len() as f64 - positives;
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_by(|&a, &b| ranks[b].total_cmp(&ranks[a]));
    let (mut roc, mut pr) = (vec![(0.0, 0.0)], Vec::new());
    let (mut tp, mut fp) = (0.0, 0.0);
    for (pos, neg) in tie_groups(ranks, truth, &order) {
        tp += pos as f64;
        fp += neg as f64;
        roc.push((fp / negatives.max(1.0), tp / positives.max(1.0)));
        pr.push((tp / positives.max(1.0), tp / (tp + fp)));
    }
    (thin(roc), thin(pr))
}

/// `points` less those within [`MIN_STEP`] of the last one kept; the last point stays.
fn thin(points: Curve) -> Curve {
    let n = points.len();
    let mut out: Curve = Vec::with_capacity(n.min(4096));
    for (i, p) in points.into_iter().enumerate() {
        match out.last() {
            Some(&(x, y))
                if i + 1 < n && (p.0 - x).abs() < MIN_STEP && (p.1 - y).abs() < MIN_STEP => {}
            _ => out.push(p),
        }
    }
    out
}

/// The log-odds histograms over the 1st to 99th percentile of the finite log-odds (so that
/// a few extreme comments do not squeeze the rest into one bin); `None` without any.
fn histogram(ranks: &[f64], probs: &[f64], truth: &[bool], threshold: f64) -> Option<Histogram> {
    let mut finite: Vec<f64> = ranks.iter().copied().filter(|z| z.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(f64::total_cmp);
    let at = |q: f64| finite[((finite.len() - 1) as f64 * q).round() as usize];
    let (mut lo, mut hi) = (at(0.01), at(0.99));
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let width = (hi - lo) / HISTOGRAM_BINS as f64;
    let mut counts = [vec![0u64; HISTOGRAM_BINS], vec![0u64; HISTOGRAM_BINS]];
    let (mut clipped, mut not_a_number) = (0, 0);
    let (mut top_unflagged, mut low_flagged) = (f64::NEG_INFINITY, f64::INFINITY);
    for ((&z, &p), &y) in ranks.iter().zip(probs).zip(truth) {
        if z.is_nan() {
            not_a_number += 1;
            continue;
        }
        if p >= threshold {
            low_flagged = low_flagged.min(z);
        } else {
            top_unflagged = top_unflagged.max(z);
        }
        clipped += usize::from(z < lo || z > hi);
        let bin = (((z - lo) / width).max(0.0) as usize).min(HISTOGRAM_BINS - 1);
        counts[usize::from(y)][bin] += 1;
    }
    let shares = |c: &[u64]| {
        let total = c.iter().sum::<u64>().max(1) as f64;
        c.iter().map(|&n| n as f64 / total).collect()
    };
    let cut = match (top_unflagged.is_finite(), low_flagged.is_finite()) {
        // Calibration is monotone, so the flagged comments lie above the others.
        (true, true) if top_unflagged < low_flagged => Some((top_unflagged + low_flagged) / 2.0),
        (_, true) => Some(low_flagged),
        _ => None,
    };
    Some(Histogram {
        lo,
        hi,
        negatives: shares(&counts[0]),
        positives: shares(&counts[1]),
        clipped,
        not_a_number,
        cut: cut.map(|c| c.clamp(lo, hi)),
    })
}

type Drawn<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn drawing<E: std::error::Error + Send + Sync + 'static>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::Plot(Box::new(e))
}

/// One SVG per row, each nested in a `<g class="label">` titled with the row's title, so
/// that a reader (or a test) finds each label's panels together.
fn svg(rows: &[Row]) -> Result<Vec<u8>> {
    let height = PLOT_ROW_HEIGHT * rows.len() as u32;
    let mut out = format!(
        "<svg width=\"{PLOT_WIDTH}\" height=\"{height}\" viewBox=\"0 0 {PLOT_WIDTH} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    for (i, row) in rows.iter().enumerate() {
        let mut inner = String::new();
        {
            let area = SVGBackend::with_string(&mut inner, (PLOT_WIDTH, PLOT_ROW_HEIGHT))
                .into_drawing_area();
            draw_row(&area, row).map_err(drawing)?;
            area.present().map_err(drawing)?;
        }
        let Some(rest) = inner.strip_prefix("<svg ") else {
            return Err(Error::Plot(
                "the SVG backend's output has no <svg> tag".into(),
            ));
        };
        let y = PLOT_ROW_HEIGHT * i as u32;
        let _ = write!(
            out,
            "<g class=\"label\">\n<title>{}</title>\n<svg x=\"0\" y=\"{y}\" {rest}</g>\n",
            xml_escape(&row.title)
        );
    }
    out.push_str("</svg>\n");
    Ok(out.into_bytes())
}

fn png(rows: &[Row]) -> Result<Vec<u8>> {
    let height = PLOT_ROW_HEIGHT * rows.len() as u32;
    let mut pixels = vec![0u8; PLOT_WIDTH as usize * height as usize * 3];
    {
        let root =
            BitMapBackend::with_buffer(&mut pixels, (PLOT_WIDTH, height)).into_drawing_area();
        for (area, row) in root.split_evenly((rows.len(), 1)).iter().zip(rows) {
            draw_row(area, row).map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, PLOT_WIDTH, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels))
        .map_err(|e| Error::Plot(Box::new(e)))?;
    Ok(bytes)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn draw_row<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, row: &Row) -> Drawn<DB> {
    area.fill(&WHITE)?;
    let (top, body) = area.split_vertically(TITLE_HEIGHT);
    top.draw_text(
        &row.title,
        &TextStyle::from((FONT, 22).into_font()).color(&BLACK),
        (15, 12),
    )?;
    let cells = body.split_evenly((1, 4));
    draw_roc(&cells[0], row)?;
    draw_pr(&cells[1], row)?;
    draw_reliability(&cells[2], row)?;
    draw_histogram(&cells[3], row)
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    (x, y): (std::ops::Range<f64>, std::ops::Range<f64>),
    (x_desc, y_desc): (&str, &str),
) -> std::result::Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        // The major grid is enough; the minor one doubles the file and blurs the curves.
        .light_line_style(TRANSPARENT)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()?;
    Ok(chart)
}

/// Writes `text` across the middle of a unit chart whose curve could not be drawn.
fn say<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>, text: &str) -> Drawn<DB> {
    let style = TextStyle::from((FONT, 14).into_font())
        .color(&RED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    chart.draw_series(std::iter::once(Text::new(
        text.to_string(),
        (0.5, 0.5),
        style,
    )))?;
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    at: SeriesLabelPosition,
) -> Drawn<DB> {
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
}

fn operating_point<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    at: (f64, f64),
    threshold: f64,
) -> Drawn<DB> {
    chart
        .draw_series(std::iter::once(Circle::new(at, 6, RED.filled())))?
        .label(format!("threshold {threshold:.4}"))
        .legend(|(x, y)| Circle::new((x + 10, y), 5, RED.filled()));
    Ok(())
}

fn draw_roc<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, row: &Row) -> Drawn<DB> {
    let mut chart = chart(
        area,
        "ROC",
        (0.0..1.0, 0.0..1.0),
        ("false positive rate", "true positive rate"),
    )?;
    chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))?;
    let Some(roc) = &row.roc else {
        return say(&mut chart, "undefined: needs positives and negatives");
    };
    let auc = row.roc_auc.unwrap_or(f64::NAN);
    chart
        .draw_series(LineSeries::new(roc.iter().copied(), BLUE.stroke_width(2)))?
        .label(format!("AUC {auc:.4}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    operating_point(&mut chart, row.roc_point, row.threshold)?;
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn draw_pr<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, row: &Row) -> Drawn<DB> {
    let mut chart = chart(
        area,
        "Precision-recall",
        (0.0..1.0, 0.0..1.0),
        ("recall", "precision"),
    )?;
    let Some(pr) = &row.pr else {
        return say(&mut chart, "undefined: no positives");
    };
    let share = row.positive_share;
    chart
        .draw_series(LineSeries::new(
            [(0.0, share), (1.0, share)],
            BLACK.mix(0.3),
        ))?
        .label(format!("positive share {share:.4}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    let ap = row.pr_auc.unwrap_or(f64::NAN);
    chart
        .draw_series(LineSeries::new(pr.iter().copied(), BLUE.stroke_width(2)))?
        .label(format!("average precision {ap:.4}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    operating_point(&mut chart, row.pr_point, row.threshold)?;
    legend(&mut chart, SeriesLabelPosition::LowerLeft)
}

fn draw_reliability<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, row: &Row) -> Drawn<DB> {
    let mut chart = chart(
        area,
        "Reliability",
        (0.0..1.0, 0.0..1.0),
        ("mean probability in the bin", "share of positives"),
    )?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))?
        .label("perfect calibration")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    if row.reliability.is_empty() {
        return say(&mut chart, "no comments");
    }
    let points = || row.reliability.iter().map(|&(x, y, _)| (x, y));
    let comments: u64 = row.reliability.iter().map(|b| b.2).sum();
    chart
        .draw_series(LineSeries::new(points(), BLUE.stroke_width(2)))?
        .label(format!(
            "{} bins, {comments} comments",
            row.reliability.len()
        ))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(points().map(|p| Circle::new(p, 4, BLUE.filled())))?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

fn draw_histogram<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, row: &Row) -> Drawn<DB> {
    let Some(h) = &row.histogram else {
        let mut chart = chart(
            area,
            "Scores by class",
            (0.0..1.0, 0.0..1.0),
            ("log-odds", "share of the class"),
        )?;
        return say(&mut chart, "no comments");
    };
    let top = h
        .positives
        .iter()
        .chain(&h.negatives)
        .fold(0.0f64, |a, &b| a.max(b));
    let mut x_desc = "log-odds".to_string();
    if h.clipped > 0 {
        let _ = write!(
            x_desc,
            " ({} past the 1st/99th percentile, in the edge bins)",
            h.clipped
        );
    }
    if h.not_a_number > 0 {
        let _ = write!(x_desc, " ({} not a number, left out)", h.not_a_number);
    }
    let mut chart = chart(
        area,
        "Scores by class",
        (h.lo..h.hi, 0.0..(top * 1.15).max(0.01)),
        (&x_desc, "share of the class"),
    )?;
    let width = (h.hi - h.lo) / HISTOGRAM_BINS as f64;
    for (shares, color, name) in [
        (&h.negatives, BLUE, "negatives"),
        (&h.positives, RED, "positives"),
    ] {
        if shares.iter().all(|&s| s == 0.0) {
            continue;
        }
        let style = color.mix(0.35).filled();
        chart
            .draw_series(shares.iter().enumerate().map(|(i, &s)| {
                let x0 = h.lo + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, s)], style)
            }))?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], style));
    }
    if let Some(cut) = h.cut {
        chart
            .draw_series(LineSeries::new(
                [(cut, 0.0), (cut, top * 1.15)],
                BLACK.stroke_width(2),
            ))?
            .label(format!("threshold {:.4}", row.threshold))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_parses() {
        register_font().unwrap();
    }

    #[test]
    fn roc_curve_by_hand() {
        // By log-odds: 3 P, 2 N, 1 P, 0 N: the curve climbs, steps right, climbs, steps right.
        let (roc, pr) = curves(&[3.0, 2.0, 1.0, 0.0], &[true, false, true, false]);
        assert_eq!(
            roc,
            [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
        assert_eq!(pr, [(0.5, 1.0), (0.5, 0.5), (1.0, 2.0 / 3.0), (1.0, 0.5)]);
    }

    #[test]
    fn histogram_shares_and_cut() {
        // Flagged at 0.5: the cut lies between log-odds 1 (not flagged) and 2 (flagged).
        let h = histogram(
            &[0.0, 1.0, 2.0, 3.0],
            &[0.1, 0.4, 0.6, 0.9],
            &[false, false, true, true],
            0.5,
        )
        .unwrap();
        assert_eq!((h.lo, h.hi, h.clipped, h.not_a_number), (0.0, 3.0, 0, 0));
        assert_eq!(h.cut, Some(1.5));
        assert_eq!(h.negatives.iter().sum::<f64>(), 1.0);
        assert_eq!(h.positives[HISTOGRAM_BINS - 1], 0.5);
    }

    #[test]
    fn infinite_log_odds_land_in_the_edge_bins_and_nan_is_counted() {
        let z = [f64::NEG_INFINITY, 0.0, 1.0, 2.0, f64::INFINITY, f64::NAN];
        let h = histogram(&z, &[0.0, 0.1, 0.2, 0.8, 1.0, 0.5], &[false; 6], 0.5).unwrap();
        assert_eq!((h.lo, h.hi, h.clipped, h.not_a_number), (0.0, 2.0, 2, 1));
        let n = 1.0 / 5.0;
        assert_eq!(
            (h.negatives[0], h.negatives[HISTOGRAM_BINS - 1]),
            (2.0 * n, 2.0 * n)
        );
    }

    #[test]
    fn thinning_keeps_the_ends_and_drops_near_duplicates() {
        let points = vec![
            (0.0, 0.0),
            (0.0001, 0.0),
            (0.0002, 0.0001),
            (0.5, 0.5),
            (0.5, 0.5),
        ];
        assert_eq!(thin(points), [(0.0, 0.0), (0.5, 0.5), (0.5, 0.5)]);
    }

    #[test]
    fn equal_scores_get_a_range() {
        let h = histogram(&[2.0, 2.0], &[0.5, 0.5], &[true, false], 0.5).unwrap();
        assert_eq!((h.lo, h.hi), (1.0, 3.0));
        assert!(histogram(&[f64::NAN], &[0.5], &[true], 0.5).is_none());
    }

    #[test]
    fn extensions_choose_the_format() {
        assert_eq!(
            PlotFormat::from_path(Path::new("a/b.SVG")),
            Some(PlotFormat::Svg)
        );
        assert_eq!(
            PlotFormat::from_path(Path::new("b.png")),
            Some(PlotFormat::Png)
        );
        assert_eq!(PlotFormat::from_path(Path::new("b.pdf")), None);
        assert_eq!(PlotFormat::from_path(Path::new("png")), None);
    }
}
