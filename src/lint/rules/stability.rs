//! Stability AI: SDXL 1.0 (and the retired 0.8), Stable Image Core/Ultra and SD3 / 3.5.

use super::*;

pub(super) const SDXL_SIZES: &[(i64, i64)] = &[
    (1024, 1024),
    (1152, 896),
    (1216, 832),
    (1344, 768),
    (1536, 640),
    (640, 1536),
    (768, 1344),
    (832, 1216),
    (896, 1152),
];

pub(super) fn sdxl(_model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let (w, h) = (b.get("width"), b.get("height"));
    let img2img = b.contains_key("init_image");
    if (w.is_some() || h.is_some()) && !img2img {
        let ww = w.map_or(Some(1024), Value::as_i64);
        let hh = h.map_or(Some(1024), Value::as_i64);
        if let (Some(ww), Some(hh)) = (ww, hh) {
            if !SDXL_SIZES.contains(&(ww, hh)) {
                out.push(finding(
                    "sdxl-allowed-dimensions",
                    if w.is_some() { "/width" } else { "/height" },
                    format!(
                        "{ww}x{hh} is not an SDXL size; width x height must be one of {}",
                        sizes(SDXL_SIZES)
                    ),
                ));
            }
        }
    }
    if img2img {
        for k in ["width", "height"] {
            if b.contains_key(k) {
                out.push(finding(
                    "sdxl-img2img-no-size",
                    format!("/{k}"),
                    format!("with init_image the output has the size of init_image: remove `{k}`"),
                ));
            }
        }
        let mode = b
            .get("init_image_mode")
            .and_then(Value::as_str)
            .unwrap_or("IMAGE_STRENGTH");
        if mode == "STEP_SCHEDULE" && b.contains_key("image_strength") {
            out.push(finding(
                "sdxl-strength-vs-schedule",
                "/image_strength",
                "image_strength is ignored with init_image_mode STEP_SCHEDULE; use step_schedule_start/end, or mode IMAGE_STRENGTH",
            ));
        }
        if mode == "IMAGE_STRENGTH" {
            for k in ["step_schedule_start", "step_schedule_end"] {
                if b.contains_key(k) {
                    out.push(finding(
                        "sdxl-strength-vs-schedule",
                        format!("/{k}"),
                        format!("`{k}` needs init_image_mode STEP_SCHEDULE; with IMAGE_STRENGTH (the default) use image_strength"),
                    ));
                }
            }
        }
    }
    if let Some(prompts) = b.get("text_prompts").and_then(Value::as_array) {
        let weights: Vec<Option<f64>> = prompts
            .iter()
            .map(|p| match p.get("weight") {
                None => Some(1.0),
                Some(w) => w.as_f64(),
            })
            .collect();
        let readable = weights.iter().all(Option::is_some);
        if readable && !prompts.is_empty() && weights.iter().flatten().all(|w| *w <= 0.0) {
            out.push(finding(
                "sdxl-positive-prompt",
                "/text_prompts",
                "every prompt has a negative or zero weight: add one with a positive weight (negative prompts only steer away)",
            ));
        }
    }
    out
}

pub(super) fn stability_image(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let i2i = b.get("mode").and_then(Value::as_str) == Some("image-to-image");
    if i2i && b.contains_key("aspect_ratio") {
        out.push(finding(
            "stability-aspect-ratio-text-only",
            "/aspect_ratio",
            "aspect_ratio only applies to text-to-image; in image-to-image the output follows the input image",
        ));
    }
    if !i2i {
        for k in ["image", "strength"] {
            if b.contains_key(k) {
                out.push(finding(
                    "stability-image-needs-img2img-mode",
                    format!("/{k}"),
                    format!("`{k}` is only used with \"mode\": \"image-to-image\" (the default mode is text-to-image)"),
                ));
            }
        }
    }
    if model.contains("stable-image-core") && (i2i || b.contains_key("image")) {
        out.push(finding(
            "stability-core-text-to-image-only",
            if i2i { "/mode" } else { "/image" },
            "Stable Image Core is text-to-image only; use Stable Image Ultra or SD3.5 Large for image-to-image",
        ));
    }
    out
}
