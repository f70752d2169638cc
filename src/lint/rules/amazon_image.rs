//! Amazon Titan Image Generator v1/v2 and Amazon Nova Canvas.

use super::*;

pub(super) const TASK_PARAMS: &[(&str, &str)] = &[
    ("TEXT_IMAGE", "textToImageParams"),
    ("INPAINTING", "inPaintingParams"),
    ("OUTPAINTING", "outPaintingParams"),
    ("IMAGE_VARIATION", "imageVariationParams"),
    ("COLOR_GUIDED_GENERATION", "colorGuidedGenerationParams"),
    ("BACKGROUND_REMOVAL", "backgroundRemovalParams"),
    ("VIRTUAL_TRY_ON", "virtualTryOnParams"),
];

pub(super) const TITAN_SIZES: &[(i64, i64)] = &[
    (1024, 1024),
    (768, 768),
    (512, 512),
    (768, 1152),
    (384, 576),
    (1152, 768),
    (576, 384),
    (768, 1280),
    (384, 640),
    (1280, 768),
    (640, 384),
    (896, 1152),
    (448, 576),
    (1152, 896),
    (576, 448),
    (768, 1408),
    (384, 704),
    (1408, 768),
    (704, 384),
    (640, 1408),
    (320, 704),
    (1408, 640),
    (704, 320),
    (1152, 640),
    (1173, 640),
];

pub(super) fn amazon_image(model: &str, b: &Map<String, Value>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    let task = b.get("taskType").and_then(Value::as_str);
    let wanted = task.and_then(|t| TASK_PARAMS.iter().find(|(k, _)| *k == t).map(|(_, p)| *p));
    for (_, p) in TASK_PARAMS {
        if b.contains_key(*p) && Some(*p) != wanted {
            out.push(finding(
                "titan-image-single-params-object",
                format!("/{p}"),
                format!(
                    "`{p}` does not belong to taskType {}; send only {}",
                    task.unwrap_or("(none)"),
                    wanted.map_or(
                        "the parameters object of the task".to_string(),
                        |w| format!("`{w}`")
                    )
                ),
            ));
        }
    }
    for p in ["inPaintingParams", "outPaintingParams"] {
        if let Some(params) = b.get(p).and_then(Value::as_object) {
            if params.contains_key("maskPrompt") == params.contains_key("maskImage") {
                out.push(finding(
                    "titan-image-mask-one-of",
                    format!("/{p}"),
                    "give exactly one of maskPrompt or maskImage",
                ));
            }
        }
    }
    let cfg = b.get("imageGenerationConfig").and_then(Value::as_object);
    let w = cfg.and_then(|c| c.get("width"));
    let h = cfg.and_then(|c| c.get("height"));
    let nova = model.contains("nova-canvas");
    let titan = model.contains("titan-image");
    if nova {
        for (k, v) in [("width", w), ("height", h)] {
            if let Some(v) = int(v) {
                if v % 16 != 0 || !(320..=4096).contains(&v) {
                    out.push(finding(
                        "nova-canvas-dimensions",
                        format!("/imageGenerationConfig/{k}"),
                        format!("Nova Canvas needs {k} between 320 and 4096 and divisible by 16 (got {v})"),
                    ));
                }
            }
        }
        if let (Some(ww), Some(hh)) = (int(w), int(h)) {
            if ww * hh > 4_194_304 || ww.max(hh) > 4 * ww.min(hh) {
                out.push(finding(
                    "nova-canvas-dimensions",
                    "/imageGenerationConfig/width",
                    format!("{ww}x{hh}: Nova Canvas allows at most 4,194,304 pixels and an aspect ratio between 1:4 and 4:1"),
                ));
            }
        }
        if let Some(seed) = int(cfg.and_then(|c| c.get("seed"))) {
            if seed > 858_993_459 {
                out.push(finding(
                    "nova-canvas-seed-range",
                    "/imageGenerationConfig/seed",
                    format!("Nova Canvas takes seeds 0 to 858,993,459 (got {seed})"),
                ));
            }
        }
    }
    if titan {
        if w.is_some() || h.is_some() {
            let ww = w.map_or(Some(1024), Value::as_i64);
            let hh = h.map_or(Some(1024), Value::as_i64);
            if let (Some(ww), Some(hh)) = (ww, hh) {
                if !TITAN_SIZES.contains(&(ww, hh)) {
                    out.push(finding(
                        "titan-image-dimensions",
                        "/imageGenerationConfig/width",
                        format!(
                            "{ww}x{hh} is not a Titan Image Generator size; use one of {}",
                            sizes(TITAN_SIZES)
                        ),
                    ));
                }
            }
        }
        for (_, p) in TASK_PARAMS {
            let Some(params) = b.get(*p).and_then(Value::as_object) else {
                continue;
            };
            for k in ["text", "negativeText"] {
                if let Some(s) = params.get(k).and_then(Value::as_str) {
                    let n = s.chars().count();
                    if n > 512 {
                        let mut f = finding(
                            "titan-image-text-512",
                            format!("/{p}/{k}"),
                            format!("Titan Image Generator takes at most 512 characters in `{k}` (got {n}; Nova Canvas allows 1024)"),
                        );
                        f.cause = Cause::InputTooLong;
                        out.push(f);
                    }
                }
            }
        }
        let t2i = b.get("textToImageParams").and_then(Value::as_object);
        if t2i.is_some_and(|t| t.contains_key("style")) {
            out.push(finding(
                "nova-canvas-only-features",
                "/textToImageParams/style",
                "`style` is a Nova Canvas feature; Titan Image Generator does not accept it",
            ));
        }
        if task == Some("VIRTUAL_TRY_ON") {
            out.push(finding(
                "nova-canvas-only-features",
                "/taskType",
                "VIRTUAL_TRY_ON is a Nova Canvas task",
            ));
        }
        if model.contains("titan-image-generator-v1") {
            let v1_tasks = ["TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION"];
            if let Some(t) = task.filter(|t| !v1_tasks.contains(t)) {
                out.push(finding(
                    "titan-image-v1-tasks",
                    "/taskType",
                    format!("Titan Image Generator v1 does not support {t}; use amazon.titan-image-generator-v2:0 or Nova Canvas"),
                ));
            }
            for k in ["conditionImage", "controlMode", "controlStrength"] {
                if t2i.is_some_and(|t| t.contains_key(k)) {
                    out.push(finding(
                        "titan-image-v1-tasks",
                        format!("/textToImageParams/{k}"),
                        format!("`{k}` (image conditioning) needs Titan Image Generator v2"),
                    ));
                }
            }
        }
    }
    if task == Some("BACKGROUND_REMOVAL") && cfg.is_some() {
        out.push(finding(
            "titan-image-background-removal-no-config",
            "/imageGenerationConfig",
            "BACKGROUND_REMOVAL takes no imageGenerationConfig: the output keeps the input's size",
        ));
    }
    out
}
