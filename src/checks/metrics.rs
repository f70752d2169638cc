//! CloudWatch AWS/Bedrock metrics for every model of the run, fetched once and shared by
//! the throttling and quota checks: as few GetMetricData calls as the API allows.

use crate::aws::{CallFailure, Clients};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// GetMetricData takes at most this many queries per call.
const MAX_QUERIES: usize = 500;

/// The traffic shape is shown in this many buckets: one mark per hour of a 24-hour window,
/// narrow enough for a table row at 80 columns.
const SHAPE_BUCKETS: u64 = 24;

/// Per-minute series (for the busiest minute) and window totals.
const PER_MINUTE: [&str; 4] = [
    "Invocations",
    "InvocationThrottles",
    "InputTokenCount",
    "OutputTokenCount",
];
const PER_WINDOW: [(&str, &str); 4] = [
    ("InvocationClientErrors", "Sum"),
    ("InvocationServerErrors", "Sum"),
    ("InvocationLatency", "Average"),
    // For --lambda: the latency a function's timeout must leave room for.
    ("InvocationLatency", "p99"),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelMetrics {
    pub invocations: f64,
    pub throttles: f64,
    pub client_errors: f64,
    pub server_errors: f64,
    pub latency_ms: Option<f64>,
    /// InvocationLatency's 99th percentile over the window.
    pub latency_p99_ms: Option<f64>,
    pub input_tokens: f64,
    pub output_tokens: f64,
    /// The minute with the most requests (invocations + throttles): (epoch secs, count).
    pub busiest_minute: Option<(i64, f64)>,
    /// The minute with the most quota tokens (input + output x the model's burndown rate):
    /// (epoch secs, tokens).
    pub busiest_tokens_minute: Option<(i64, f64)>,
    /// Requests and throttles over the window, bucketed for a sparkline.
    pub shape: Option<crate::report::Shape>,
}

impl ModelMetrics {
    /// Throttled share of all requests: throttled requests are not counted as Invocations.
    pub fn throttle_rate(&self) -> f64 {
        let total = self.invocations + self.throttles;
        if total == 0.0 {
            0.0
        } else {
            self.throttles / total
        }
    }
}

/// The ModelId dimension CloudWatch uses: the model or profile id, not an ARN.
pub fn dimension_of(model: &str) -> String {
    model.rsplit('/').next().unwrap_or(model).to_string()
}

fn query(id: String, model: &str, metric: &str, period: i32, stat: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/Bedrock")
                        .metric_name(metric)
                        .dimensions(
                            Dimension::builder()
                                .name("ModelId")
                                .value(dimension_of(model))
                                .build(),
                        )
                        .build(),
                )
                .period(period)
                .stat(stat)
                .build(),
        )
        .return_data(true)
        .build()
}

pub async fn fetch(
    clients: &Clients,
    models: &[String],
    window: Duration,
) -> Result<HashMap<String, ModelMetrics>, CallFailure> {
    // Whole minutes: GetMetricData's reference asks for StartTime and EndTime aligned with the
    // period, and two runs in the same minute then read the same window.
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let end = SystemTime::UNIX_EPOCH + Duration::from_secs(now - now % 60);
    let start = end - window;
    let window_period = (window.as_secs().div_ceil(60) * 60).clamp(60, i32::MAX as u64) as i32;
    let mut queries = Vec::new();
    for (i, m) in models.iter().enumerate() {
        for (k, metric) in PER_MINUTE.iter().enumerate() {
            queries.push(query(format!("m{i}_p{k}"), m, metric, 60, "Sum"));
        }
        for (k, (metric, stat)) in PER_WINDOW.iter().enumerate() {
            queries.push(query(format!("m{i}_w{k}"), m, metric, window_period, stat));
        }
    }
    // (query id) -> (timestamps, values), across pages and calls.
    let mut series: HashMap<String, (Vec<i64>, Vec<f64>)> = HashMap::new();
    for chunk in queries.chunks(MAX_QUERIES) {
        let mut pages = clients
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(chunk.to_vec()))
            .start_time(start.into())
            .end_time(end.into())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| CallFailure::from_sdk(&e))?;
            for r in page.metric_data_results() {
                let entry = series
                    .entry(r.id().unwrap_or_default().to_string())
                    .or_default();
                entry.0.extend(r.timestamps().iter().map(|t| t.secs()));
                entry.1.extend(r.values().iter().copied());
            }
        }
    }
    let mut result = HashMap::new();
    for (i, m) in models.iter().enumerate() {
        let get = |key: &str| {
            series
                .get(&format!("m{i}_{key}"))
                .cloned()
                .unwrap_or_default()
        };
        // `+ 0.0` turns the -0.0 an empty float sum gives into 0.
        let sum = |key: &str| get(key).1.iter().sum::<f64>() + 0.0;
        let (inv_t, inv_v) = get("p0");
        let (thr_t, thr_v) = get("p1");
        let busiest_requests = busiest(&[
            (inv_t.clone(), inv_v.clone()),
            (thr_t.clone(), thr_v.clone()),
        ]);
        // Output tokens count toward the token quotas at the model's burndown rate.
        let rate = crate::models::output_burndown(m);
        let (out_t, out_v) = get("p3");
        let tokens = busiest(&[get("p2"), (out_t, out_v.iter().map(|v| v * rate).collect())]);
        let latency = get("w2").1;
        let p99 = get("w3").1;
        result.insert(
            m.clone(),
            ModelMetrics {
                invocations: sum("p0"),
                throttles: sum("p1"),
                input_tokens: sum("p2"),
                output_tokens: sum("p3"),
                client_errors: sum("w0"),
                server_errors: sum("w1"),
                latency_ms: (!latency.is_empty())
                    .then(|| latency.iter().sum::<f64>() / latency.len() as f64),
                latency_p99_ms: p99.iter().copied().reduce(f64::max),
                busiest_minute: busiest_requests,
                busiest_tokens_minute: tokens,
                shape: shape(&inv_t, &inv_v, &thr_t, &thr_v, start, window),
            },
        );
    }
    Ok(result)
}

/// The busiest minute of each bucket of the window, for requests (invocations + throttles)
/// and throttles; None when nothing was requested.
fn shape(
    inv_t: &[i64],
    inv_v: &[f64],
    thr_t: &[i64],
    thr_v: &[f64],
    start: SystemTime,
    window: Duration,
) -> Option<crate::report::Shape> {
    let start = start.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs() as i64;
    // Whole minutes per bucket, so each bucket's label is exact (1h: 3 minutes each).
    let bucket_secs = (window.as_secs().div_ceil(SHAPE_BUCKETS).div_ceil(60) * 60).max(60);
    let buckets = window.as_secs().div_ceil(bucket_secs).max(1) as usize;
    let bucket_secs = bucket_secs as i64;
    let mut per_minute: HashMap<i64, (f64, f64)> = HashMap::new();
    for (t, v) in inv_t.iter().zip(inv_v) {
        per_minute.entry(*t).or_default().0 += v;
    }
    for (t, v) in thr_t.iter().zip(thr_v) {
        let e = per_minute.entry(*t).or_default();
        e.0 += v;
        e.1 += v;
    }
    if per_minute.values().all(|(r, _)| *r == 0.0) {
        return None;
    }
    let (mut requests, mut throttled) = (vec![0.0; buckets], vec![0.0; buckets]);
    for (t, (r, th)) in per_minute {
        let b = ((t - start) / bucket_secs).clamp(0, buckets as i64 - 1) as usize;
        requests[b] = f64::max(requests[b], r);
        throttled[b] = f64::max(throttled[b], th);
    }
    Some(crate::report::Shape {
        bucket_minutes: bucket_secs as u64 / 60,
        requests,
        throttled,
        quota_per_minute: None,
    })
}

/// Add the series minute by minute and find the largest minute.
fn busiest(series: &[(Vec<i64>, Vec<f64>)]) -> Option<(i64, f64)> {
    let mut per_minute: HashMap<i64, f64> = HashMap::new();
    for (times, values) in series {
        for (t, v) in times.iter().zip(values) {
            *per_minute.entry(*t).or_default() += v;
        }
    }
    per_minute
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busiest_minute_adds_series() {
        let a = (vec![60, 120, 180], vec![5.0, 10.0, 1.0]);
        let b = (vec![120, 180], vec![1.0, 20.0]);
        assert_eq!(busiest(&[a, b]), Some((180, 21.0)));
        assert_eq!(busiest(&[(vec![], vec![])]), None);
    }

    #[test]
    fn the_shape_keeps_the_busiest_minute_of_each_hour() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(3_600_000);
        let day = Duration::from_secs(86_400);
        let t0 = 3_600_000;
        // Hour 0: 10 then 30 requests; hour 23: 5 invocations and 7 throttles in one minute.
        let inv = (vec![t0, t0 + 60, t0 + 23 * 3600], vec![10.0, 30.0, 5.0]);
        let thr = (vec![t0 + 23 * 3600], vec![7.0]);
        let s = shape(&inv.0, &inv.1, &thr.0, &thr.1, start, day).unwrap();
        assert_eq!(s.bucket_minutes, 60);
        assert_eq!(s.requests.len(), 24);
        assert_eq!((s.requests[0], s.requests[23]), (30.0, 12.0));
        assert_eq!((s.throttled[0], s.throttled[23]), (0.0, 7.0));
        assert!(shape(&[], &[], &[], &[], start, day).is_none());
        // An hour: whole-minute buckets (3 minutes, 20 of them), never fractions of one.
        let hour = shape(
            &inv.0,
            &inv.1,
            &thr.0,
            &thr.1,
            start,
            Duration::from_secs(3600),
        )
        .unwrap();
        assert_eq!((hour.bucket_minutes, hour.requests.len()), (3, 20));
    }

    #[test]
    fn throttle_rate_counts_throttled_requests_apart() {
        let m = ModelMetrics {
            invocations: 91.0,
            throttles: 9.0,
            ..Default::default()
        };
        assert!((m.throttle_rate() - 0.09).abs() < 1e-9);
        assert_eq!(ModelMetrics::default().throttle_rate(), 0.0);
    }

    #[test]
    fn dimension_is_the_id() {
        assert_eq!(
            dimension_of("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"),
            "amazon.nova-lite-v1:0"
        );
        assert_eq!(
            dimension_of("us.amazon.nova-lite-v1:0"),
            "us.amazon.nova-lite-v1:0"
        );
    }
}
