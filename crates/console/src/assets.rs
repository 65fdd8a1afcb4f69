//! The console's pages and scripts, compiled into the binary.
//!
//! Every response carries a content security policy that lets a page load only this node's
//! own scripts and styles and talk only to this node: no inline script, no third-party
//! origin, no framing. Setting `CREDENCE_CONSOLE_DIR` serves the files from that directory
//! instead, so the pages can be edited without rebuilding the node.

use axum::{
    Router,
    extract::Path,
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::borrow::Cow;

/// A file of the console.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! assets {
    ($($name:literal => $type:expr),* $(,)?) => {
        &[$(Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("../pages/", $name)),
        }),*]
    };
}

const HTML: &str = "text/html; charset=utf-8";
const SCRIPT: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = assets![
    "explorer.html" => HTML,
    "lender.html" => HTML,
    "borrower.html" => HTML,
    "regulator.html" => HTML,
    "console.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "common.js" => SCRIPT,
    "constants.js" => SCRIPT,
    "crypto.js" => SCRIPT,
    "record.js" => SCRIPT,
    "signin.js" => SCRIPT,
    "explorer.js" => SCRIPT,
    "lender.js" => SCRIPT,
    "lender-session.js" => SCRIPT,
    "lender-applicant.js" => SCRIPT,
    "lender-book.js" => SCRIPT,
    "lender-alerts.js" => SCRIPT,
    "lender-furnish.js" => SCRIPT,
    "lender-disputes.js" => SCRIPT,
    "borrower.js" => SCRIPT,
    "regulator.js" => SCRIPT,
];

const SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The pages at their addresses, and every file under `/console/`.
pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { serve("explorer.html") }))
        .route("/lender", get(|| async { serve("lender.html") }))
        .route("/borrower", get(|| async { serve("borrower.html") }))
        .route("/regulator", get(|| async { serve("regulator.html") }))
        .route(
            "/console/{file}",
            get(|Path(file): Path<String>| async move { serve(&file) }),
        )
}

fn serve(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such console file").into_response();
    };
    let body: Cow<'static, str> = match std::env::var_os("CREDENCE_CONSOLE_DIR") {
        Some(dir) => match std::fs::read_to_string(std::path::Path::new(&dir).join(asset.name)) {
            Ok(text) => Cow::Owned(text),
            Err(_) => Cow::Borrowed(asset.body),
        },
        None => Cow::Borrowed(asset.body),
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    (headers, body.into_owned()).into_response()
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    #[test]
    fn pages_load_only_their_own_scripts() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".html")) {
            assert!(
                !asset.body.contains("<script>") && !asset.body.contains(" onclick="),
                "{} has inline script, which the security policy refuses",
                asset.name
            );
        }
    }

    #[test]
    fn every_file_a_page_or_script_loads_is_served() {
        for asset in ASSETS {
            let references = asset
                .body
                .split(['"', '\''])
                .filter_map(|part| {
                    part.strip_prefix("/console/")
                        .or_else(|| part.strip_prefix("./"))
                })
                .filter(|file| !file.contains('/') && file.contains('.'));
            for file in references {
                assert!(
                    ASSETS.iter().any(|a| a.name == file),
                    "{} loads {file}, which the console does not serve",
                    asset.name
                );
            }
        }
    }
}
