//! Lambda (restJson1): GetFunctionConfiguration, as the Lambda API reference describes it,
//! for the functions of the scenario's region.

use super::*;

/// GET /2015-03-31/functions/{FunctionName}/configuration.
pub(super) fn operation(call: &Call) -> String {
    let segs = segments(&call.path);
    match (
        call.method.as_str(),
        segs.first().map(String::as_str),
        segs.last().map(String::as_str),
    ) {
        ("GET", Some("2015-03-31"), Some("configuration")) if segs.len() == 4 => {
            "GetFunctionConfiguration".into()
        }
        _ => "Unknown".into(),
    }
}

impl World<'_> {
    /// A function by name, name:qualifier or ARN, in this region of this account.
    pub(super) fn function_configuration(&self, protocol: Protocol) -> Reply {
        let s = self.scenario;
        let segs = segments(&self.call.path);
        let given = segs.get(2).cloned().unwrap_or_default();
        let name = given
            .strip_prefix("arn:")
            .map(|rest| rest.split(':').nth(5).unwrap_or("").to_string())
            .unwrap_or_else(|| given.split(':').next().unwrap_or("").to_string());
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region(),
            self.account()
        );
        let here = self.region() == s.region;
        let Some(f) = s.functions.iter().find(|f| here && f.name == name) else {
            return protocol.error(
                404,
                "ResourceNotFoundException",
                &format!("Function not found: {arn}"),
                self.rid,
            );
        };
        wire::json_ok(&json!({
            "FunctionName": f.name,
            "FunctionArn": arn,
            "Runtime": f.runtime,
            "Role": f.role,
            "Handler": "app.handler",
            "CodeSize": 2048,
            "Timeout": f.timeout,
            "MemorySize": 512,
            "LastModified": "2026-11-20T10:00:00.000+0000",
            "Version": "$LATEST",
            "Environment": { "Variables": f.env },
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["arm64"],
        }))
    }
}
