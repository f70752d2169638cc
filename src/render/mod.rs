//! Renderers: a Report in, text out. Checks never print; main picks one renderer.

pub mod csv;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

use crate::report::Shape;

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One mark per value on a scale from 0 to `ceiling`: `·` for nothing, then eight levels.
pub fn sparkline(values: &[f64], ceiling: f64) -> String {
    values
        .iter()
        .map(|v| {
            if *v <= 0.0 || ceiling <= 0.0 {
                '·'
            } else {
                let level = (v / ceiling * LEVELS.len() as f64).ceil() as usize;
                LEVELS[level.clamp(1, LEVELS.len()) - 1]
            }
        })
        .collect()
}

/// The traffic shape as three short lines (requests, throttled, the quota's level), on one
/// scale whose top is the busiest minute or the quota, whichever is higher.
pub fn shape_lines(s: &Shape) -> Vec<String> {
    let peak = s.requests.iter().cloned().fold(0.0, f64::max);
    let ceiling = s.quota_per_minute.map_or(peak, |q| q.max(peak));
    let minutes = s.bucket_minutes * s.requests.len() as u64;
    let span = if minutes.is_multiple_of(60) {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes} min")
    };
    let mut lines = vec![
        format!(
            "requests/min {} peak {peak:.0}, busiest minute of each {} min, oldest first ({span})",
            sparkline(&s.requests, ceiling),
            s.bucket_minutes
        ),
        format!(
            "throttled    {} peak {:.0}",
            sparkline(&s.throttled, ceiling),
            s.throttled.iter().cloned().fold(0.0, f64::max)
        ),
    ];
    if let Some(q) = s.quota_per_minute {
        lines.push(format!(
            "quota        {} {q:.0} requests/min",
            sparkline(&vec![q; s.requests.len()], ceiling)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_levels_and_the_quota_line() {
        assert_eq!(sparkline(&[0.0, 1.0, 4.0, 8.0], 8.0), "·▁▄█");
        let s = Shape {
            bucket_minutes: 60,
            requests: vec![10.0, 50.0, 100.0],
            throttled: vec![0.0, 0.0, 20.0],
            quota_per_minute: Some(200.0),
        };
        let lines = shape_lines(&s);
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("requests/min ▁▂▄ peak 100"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("throttled    ··▁ peak 20"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("quota        ███ 200"), "{}", lines[2]);
    }
}
