//! Deflates the checked-in OpenAPI schemas (src/gateway/schemas/) into OUT_DIR, where the
//! agent embeds them: about a tenth of the JSON's size in the binary, inflated once when
//! kubectl first asks for the OpenAPI documents.

use flate2::write::DeflateEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::PathBuf;

const SCHEMAS: &str = "src/gateway/schemas/k8s-openapi-schemas.json";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={SCHEMAS}");
    let json = std::fs::read(SCHEMAS).map_err(|e| format!("{SCHEMAS}: {e}"))?;
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&json)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("k8s-openapi-schemas.json.deflate");
    std::fs::write(&out, encoder.finish()?).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(())
}
