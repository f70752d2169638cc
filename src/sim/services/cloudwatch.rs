//! CloudWatch GetMetricData, in both protocols the SDKs speak (JSON 1.0 and CBOR).

use super::*;

impl World<'_> {
    pub(super) fn metric_data(&self, protocol: Protocol) -> Reply {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let parsed = match protocol {
            Protocol::Cbor => ciborium::from_reader::<Cbor, _>(&self.call.body[..])
                .ok()
                .map(|v| metric_request_from_cbor(&v, now)),
            _ => serde_json::from_slice::<Value>(&self.call.body)
                .ok()
                .map(|v| metric_request_from_json(&v, now)),
        };
        let Some((start, end, queries)) = parsed else {
            return protocol.error(
                400,
                "SerializationException",
                "could not read the request body",
                self.rid,
            );
        };
        let rows: Vec<(MetricQuery, Vec<f64>, Vec<f64>)> = queries
            .into_iter()
            .map(|q| {
                let (times, values) =
                    self.series(&q.model, &q.metric, start, end, now, q.period, &q.stat);
                (q, times, values)
            })
            .collect();
        match protocol {
            Protocol::Cbor => {
                let results = rows
                    .iter()
                    .map(|(q, times, values)| {
                        Cbor::Map(vec![
                            (text("Id"), text(&q.id)),
                            (text("Label"), text(&q.metric)),
                            (
                                text("Timestamps"),
                                Cbor::Array(times.iter().map(|t| wire::cbor_time(*t)).collect()),
                            ),
                            (
                                text("Values"),
                                Cbor::Array(values.iter().map(|v| Cbor::Float(*v)).collect()),
                            ),
                            (text("StatusCode"), text("Complete")),
                        ])
                    })
                    .collect();
                wire::cbor_ok(&Cbor::Map(vec![
                    (text("MetricDataResults"), Cbor::Array(results)),
                    (text("Messages"), Cbor::Array(vec![])),
                ]))
            }
            _ => {
                let results: Vec<Value> = rows
                    .iter()
                    .map(|(q, times, values)| json!({ "Id": q.id, "Label": q.metric, "Timestamps": times, "Values": values, "StatusCode": "Complete" }))
                    .collect();
                wire::awsjson_ok(
                    "1.0",
                    &json!({ "MetricDataResults": results, "Messages": [] }),
                )
            }
        }
    }

    /// Bucket the scenario's per-minute series into periods, newest first; empty periods are left out.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn series(
        &self,
        model: &str,
        metric: &str,
        start: f64,
        end: f64,
        now: f64,
        period: f64,
        stat: &str,
    ) -> (Vec<f64>, Vec<f64>) {
        let Some(series) = self
            .scenario
            .metrics
            .iter()
            .find(|m| m.metric == metric && glob(&m.model, model))
            // Bedrock publishes datapoints under the ModelId a call named (a model, a profile
            // or an ARN); a pattern does not invent traffic for an id the region has no model
            // or profile of, which no call could have used.
            .filter(|m| {
                m.model == model
                    || model.starts_with("arn:")
                    || self.find_model(model).is_some()
                    || self.find_profile(model).is_some()
            })
        else {
            return (vec![], vec![]);
        };
        let minute_now = (now / 60.0).floor() * 60.0;
        let mut buckets: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for ago in 0..series.minutes {
            let t = minute_now - f64::from(ago) * 60.0;
            if t < start || t >= end {
                continue;
            }
            let v = series
                .peaks
                .iter()
                .find(|(m, _)| *m == ago)
                .map(|(_, v)| *v)
                .unwrap_or(series.base);
            if v == 0.0 {
                continue;
            }
            let bucket = ((t - start) / period).floor() as i64;
            buckets.entry(bucket).or_default().push(v);
        }
        let mut times = Vec::new();
        let mut values = Vec::new();
        for (b, vs) in buckets.iter().rev() {
            times.push(start + *b as f64 * period);
            values.push(match stat {
                "Maximum" => vs.iter().cloned().fold(f64::MIN, f64::max),
                "Minimum" => vs.iter().cloned().fold(f64::MAX, f64::min),
                "Average" => vs.iter().sum::<f64>() / vs.len() as f64,
                "SampleCount" => vs.len() as f64,
                // pNN: the NNth percentile of the minutes' values (their samples, here).
                p if p.starts_with('p') => {
                    let mut sorted = vs.clone();
                    sorted.sort_by(f64::total_cmp);
                    let q: f64 = p[1..].parse().unwrap_or(99.0);
                    let rank = ((q / 100.0) * (sorted.len() - 1) as f64).round() as usize;
                    sorted[rank.min(sorted.len() - 1)]
                }
                _ => vs.iter().sum(),
            });
        }
        (times, values)
    }
}

/// One MetricStat query of GetMetricData, whatever protocol it came in.
pub(super) struct MetricQuery {
    id: String,
    metric: String,
    model: String,
    period: f64,
    stat: String,
}

pub(super) fn metric_request_from_cbor(req: &Cbor, now: f64) -> (f64, f64, Vec<MetricQuery>) {
    let start = cbor_get(req, "StartTime")
        .and_then(cbor_epoch)
        .unwrap_or(now - 86_400.0);
    let end = cbor_get(req, "EndTime").and_then(cbor_epoch).unwrap_or(now);
    let queries = match cbor_get(req, "MetricDataQueries") {
        Some(Cbor::Array(q)) => q
            .iter()
            .map(|q| {
                let stat = cbor_get(q, "MetricStat");
                let metric = stat.and_then(|s| cbor_get(s, "Metric"));
                let model = metric
                    .and_then(|m| cbor_get(m, "Dimensions"))
                    .and_then(|d| match d {
                        Cbor::Array(items) => items.iter().find(|i| {
                            cbor_get(i, "Name").and_then(cbor_text).as_deref() == Some("ModelId")
                        }),
                        _ => None,
                    })
                    .and_then(|d| cbor_get(d, "Value").and_then(cbor_text))
                    .unwrap_or_default();
                MetricQuery {
                    id: cbor_get(q, "Id").and_then(cbor_text).unwrap_or_default(),
                    metric: metric
                        .and_then(|m| cbor_get(m, "MetricName"))
                        .and_then(cbor_text)
                        .unwrap_or_default(),
                    model,
                    period: stat
                        .and_then(|s| cbor_get(s, "Period"))
                        .and_then(cbor_int)
                        .unwrap_or(60)
                        .max(60) as f64,
                    stat: stat
                        .and_then(|s| cbor_get(s, "Stat"))
                        .and_then(cbor_text)
                        .unwrap_or_else(|| "Sum".into()),
                }
            })
            .collect(),
        _ => vec![],
    };
    (start, end, queries)
}

pub(super) fn metric_request_from_json(req: &Value, now: f64) -> (f64, f64, Vec<MetricQuery>) {
    let start = req["StartTime"].as_f64().unwrap_or(now - 86_400.0);
    let end = req["EndTime"].as_f64().unwrap_or(now);
    let queries = req["MetricDataQueries"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .map(|q| {
                    let stat = &q["MetricStat"];
                    let dims = stat["Metric"]["Dimensions"].as_array();
                    let model = dims
                        .and_then(|d| d.iter().find(|x| x["Name"] == "ModelId"))
                        .and_then(|x| x["Value"].as_str())
                        .unwrap_or_default();
                    MetricQuery {
                        id: q["Id"].as_str().unwrap_or_default().to_string(),
                        metric: stat["Metric"]["MetricName"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        model: model.to_string(),
                        period: stat["Period"].as_f64().unwrap_or(60.0).max(60.0),
                        stat: stat["Stat"].as_str().unwrap_or("Sum").to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    (start, end, queries)
}

pub(super) fn cbor_get<'v>(v: &'v Cbor, key: &str) -> Option<&'v Cbor> {
    match v {
        Cbor::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(k, Cbor::Text(t) if t == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

pub(super) fn cbor_text(v: &Cbor) -> Option<String> {
    match v {
        Cbor::Text(t) => Some(t.clone()),
        _ => None,
    }
}

pub(super) fn cbor_int(v: &Cbor) -> Option<i64> {
    match v {
        Cbor::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        Cbor::Float(f) => Some(*f as i64),
        _ => None,
    }
}

pub(super) fn cbor_epoch(v: &Cbor) -> Option<f64> {
    match v {
        Cbor::Tag(1, inner) => match inner.as_ref() {
            Cbor::Float(f) => Some(*f),
            Cbor::Integer(i) => Some(i128::from(*i) as f64),
            _ => None,
        },
        Cbor::Float(f) => Some(*f),
        Cbor::Integer(i) => Some(i128::from(*i) as f64),
        _ => None,
    }
}
