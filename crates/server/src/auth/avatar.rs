//! Avatars: PNG, JPEG, WebP or GIF up to 5 MiB and [`MAX_PIXELS`], checked from the header
//! before any pixel is decoded, decoded with memory limits and at most two at a time,
//! cropped to a square, scaled to at most 512 px and re-encoded as PNG under a server-made
//! name, so nothing the user sent is ever served back as is.

use std::io::Cursor;
use std::path::PathBuf;

use chrono::Utc;
use image::{ImageDecoder, ImageFormat, ImageReader, Limits};
use sea_orm::{ActiveValue::Set, IntoActiveModel};

use super::service::AuthContext;
use super::store::{self, User};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest accepted upload.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest side of the stored image.
const MAX_SIDE: u32 = 512;
/// Most pixels an avatar may have (2048 × 2048): enough for any photo meant as an avatar, and
/// at most 16 MiB of pixels to decode.
pub const MAX_PIXELS: u64 = 2048 * 2048;
/// Most memory one decode may allocate.
const MAX_ALLOC: u64 = 64 * 1024 * 1024;

fn dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("avatars")
}

/// Decodes, squares, scales and re-encodes an uploaded image as PNG.
pub fn normalise(bytes: &[u8]) -> ApiResult<Vec<u8>> {
    if bytes.len() > MAX_BYTES {
        return Err(ApiError::PayloadTooLarge(
            "the avatar must be at most 5 MiB".to_owned(),
        ));
    }
    let format = image::guess_format(bytes).ok();
    if !matches!(
        format,
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif)
    ) {
        return Err(ApiError::UnsupportedMediaType(
            "the avatar must be a PNG, JPEG, WebP or GIF image".to_owned(),
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format.unwrap_or(ImageFormat::Png));
    let mut limits = Limits::default();
    limits.max_image_width = Some(8192);
    limits.max_image_height = Some(8192);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let unreadable =
        |e: image::ImageError| ApiError::field("file", format!("is not a readable image: {e}"));
    let decoder = reader.into_decoder().map_err(unreadable)?;
    let (w, h) = decoder.dimensions();
    // Checked from the header, before a single pixel is decoded.
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ApiError::PayloadTooLarge(format!(
            "the avatar is {w}×{h} pixels; at most 4 megapixels (2048×2048) are accepted"
        )));
    }
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(ApiError::PayloadTooLarge(
            "the avatar needs too much memory to decode".to_owned(),
        ));
    }
    let img = image::DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    let side = img.width().min(img.height());
    if side == 0 {
        return Err(ApiError::field("file", "is an empty image"));
    }
    let (x, y) = ((img.width() - side) / 2, (img.height() - side) / 2);
    let square = img.crop_imm(x, y, side, side);
    let target = side.min(MAX_SIDE);
    let scaled = square.resize_exact(target, target, image::imageops::FilterType::Lanczos3);
    let mut out = Vec::new();
    scaled
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding avatar: {e}")))?;
    Ok(out)
}

/// Stores a new avatar for the caller and removes the old file.
pub async fn upload(state: &AppState, ctx: &AuthContext, bytes: Vec<u8>) -> ApiResult<User> {
    let png = crate::files::decode::run(move || normalise(&bytes)).await?;
    let dir = dir(state);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let name = format!("{}.png", uuid::Uuid::now_v7().simple());
    tokio::fs::write(dir.join(&name), &png)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut user = ctx.user.clone().into_active_model();
    user.avatar_file = Set(Some(name));
    user.updated_at = Set(Utc::now());
    let updated = store::update_user(&state.db.conn, user).await?;
    if let Some(old) = &ctx.user.avatar_file {
        // A leftover file wastes space but harms nothing; do not fail the upload for it.
        let _ = tokio::fs::remove_file(dir.join(old)).await;
    }
    Ok(updated)
}

/// The caller's avatar PNG.
pub async fn read(state: &AppState, ctx: &AuthContext) -> ApiResult<Vec<u8>> {
    let not_found = || ApiError::NotFound("no avatar".to_owned());
    let name = ctx.user.avatar_file.as_deref().ok_or_else(not_found)?;
    // Names are ours (`<uuid>.png`), but never trust a path from the database blindly.
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
        return Err(not_found());
    }
    tokio::fs::read(dir(state).join(name))
        .await
        .map_err(|_| not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn images_become_square_pngs_of_at_most_512px() {
        let out = normalise(&png(1200, 800)).unwrap();
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (512, 512));
        let small = image::load_from_memory(&normalise(&png(100, 300)).unwrap()).unwrap();
        assert_eq!((small.width(), small.height()), (100, 100));
    }

    #[test]
    fn other_formats_and_garbage_are_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert!(matches!(
            normalise(svg),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert!(matches!(
            normalise(&broken),
            Err(ApiError::Validation { .. })
        ));
    }

    #[test]
    fn an_image_over_4_megapixels_is_refused_from_its_header() -> Result<(), image::ImageError> {
        let img = image::GrayImage::from_pixel(2049, 2048, image::Luma([7]));
        let mut big = Vec::new();
        img.write_to(&mut Cursor::new(&mut big), ImageFormat::Png)?;
        assert!(big.len() < MAX_BYTES);
        match normalise(&big) {
            Err(ApiError::PayloadTooLarge(m)) => assert!(m.contains("2049×2048"), "{m}"),
            other => panic!("{:?}", other.map(|v| v.len())),
        }
        Ok(())
    }
}
