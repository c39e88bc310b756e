//! File rules: an upload is checked (type, size, pixel count), decoded with limits, turned
//! upright, scaled to at most 2048 px on the long side and re-encoded — PNG stays PNG (with
//! alpha), everything else becomes JPEG quality 90 — so EXIF and anything else hidden in the
//! bytes is dropped and nothing the user sent is ever served back as is. Files live under
//! generated names in `DATA_DIR/files/` and belong to one user.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::Utc;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage,
    metadata::Orientation,
};
use uuid::Uuid;

use super::store::{self, StoredFile};
use super::types::FileInfo;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest accepted file.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most pixels an upload may have (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side of the stored image.
pub const MAX_SIDE: u32 = 2048;
/// Most memory the decoder may allocate: a 40-megapixel RGBA image with 16-bit channels.
const MAX_ALLOC: u64 = 320 * 1024 * 1024;
/// JPEG quality of re-encoded images.
const JPEG_QUALITY: u8 = 90;

/// An upload after decoding and re-encoding.
#[derive(Debug)]
pub struct Processed {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// `image/png` or `image/jpeg`.
    pub mime: &'static str,
    /// `png` or `jpg`.
    pub ext: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

fn dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("files")
}

fn info(f: &StoredFile) -> FileInfo {
    FileInfo {
        id: f.id,
        mime: f.mime.clone(),
        width: u32::try_from(f.width).unwrap_or(0),
        height: u32::try_from(f.height).unwrap_or(0),
        size: u64::try_from(f.size).unwrap_or(0),
        created_at: f.created_at,
    }
}

/// The error for an upload over `MAX_BYTES`.
pub fn too_large() -> ApiError {
    ApiError::PayloadTooLarge("the file must be at most 10 MiB".to_owned())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such file".to_owned())
}

fn unreadable(e: ImageError) -> ApiError {
    match e {
        ImageError::Limits(_) => {
            ApiError::PayloadTooLarge("the image needs too much memory to decode".to_owned())
        }
        other => ApiError::BadRequest(format!("the file is not a readable image: {other}")),
    }
}

/// Checks, decodes, scales and re-encodes an uploaded image. CPU-bound: call it off the
/// async runtime.
pub fn process(bytes: &[u8]) -> ApiResult<Processed> {
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    if bytes.is_empty() {
        return Err(ApiError::field("file", "is empty"));
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif)) => f,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "the file must be a PNG, JPEG, WebP or GIF image".to_owned(),
            ));
        }
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(ApiError::BadRequest("the image is empty".to_owned()));
    }
    // Checked from the header, before a single pixel is decoded.
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ApiError::PayloadTooLarge(
            "the image must have at most 40 megapixels".to_owned(),
        ));
    }
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(ApiError::PayloadTooLarge(
            "the image needs too much memory to decode".to_owned(),
        ));
    }
    // EXIF is dropped, so its orientation is applied to the pixels instead.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    img.apply_orientation(orientation);
    let img = match img {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let img = if img.width().max(img.height()) > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, FilterType::CatmullRom)
    } else {
        img
    };
    let mut out = Vec::new();
    let (mime, ext) = if format == ImageFormat::Png {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding PNG: {e}")))?;
        ("image/png", "png")
    } else {
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .encode_image(&flatten_on_white(&img))
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding JPEG: {e}")))?;
        ("image/jpeg", "jpg")
    };
    Ok(Processed {
        bytes: out,
        mime,
        ext,
        width: img.width(),
        height: img.height(),
    })
}

/// RGB pixels for JPEG: transparent parts (WebP, GIF) are composed over white, not black.
fn flatten_on_white(img: &DynamicImage) -> RgbImage {
    let DynamicImage::ImageRgba8(rgba) = img else {
        return img.to_rgb8();
    };
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let alpha = u32::from(p[3]);
        for c in 0..3 {
            let v = (u32::from(p[c]) * alpha + 255 * (255 - alpha) + 127) / 255;
            o[c] = u8::try_from(v).unwrap_or(u8::MAX);
        }
    }
    out
}

/// Writes `bytes` to `dir/name` all or nothing: a temporary file, flushed, then renamed.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = write_and_rename(&tmp, &dir.join(name), bytes);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_and_rename(tmp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(tmp, target)
}

/// Stores an upload for `user_id`.
pub async fn upload(state: &AppState, user_id: Uuid, bytes: Vec<u8>) -> ApiResult<FileInfo> {
    let image = super::decode::run(move || process(&bytes)).await?;
    let id = Uuid::now_v7();
    let name = format!("{}.{}", id.simple(), image.ext);
    let dir = dir(state);
    let row = StoredFile {
        id,
        user_id,
        mime: image.mime.to_owned(),
        width: i32::try_from(image.width).map_err(anyhow::Error::from)?,
        height: i32::try_from(image.height).map_err(anyhow::Error::from)?,
        size: i64::try_from(image.bytes.len()).map_err(anyhow::Error::from)?,
        stored_name: name.clone(),
        created_at: Utc::now(),
    };
    {
        let (dir, name) = (dir.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            write_atomically(&dir, &name, &image.bytes)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing upload {name}: {e}")))
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    }
    match store::insert_file(&state.db.conn, row).await {
        Ok(row) => Ok(info(&row)),
        Err(e) => {
            // No row points at the file: do not leave it behind.
            let _ = tokio::fs::remove_file(dir.join(&name)).await;
            Err(e.into())
        }
    }
}

/// The user's file, if it exists and is theirs.
pub async fn get_owned(state: &AppState, user_id: Uuid, id: Uuid) -> ApiResult<Option<FileInfo>> {
    Ok(store::get_file(&state.db.conn, user_id, id)
        .await?
        .as_ref()
        .map(info))
}

/// The user's file and its bytes (`None` if it is not theirs or is gone).
async fn read_owned(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<(FileInfo, Vec<u8>)>> {
    let Some(row) = store::get_file(&state.db.conn, user_id, id).await? else {
        return Ok(None);
    };
    // Names are ours (`<uuid>.<ext>`), but never trust a path from the database blindly.
    if row.stored_name.is_empty()
        || row.stored_name.starts_with('.')
        || !row
            .stored_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.')
    {
        return Ok(None);
    }
    match tokio::fs::read(dir(state).join(&row.stored_name)).await {
        Ok(bytes) => Ok(Some((info(&row), bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(file_id = %id, "file row without its file on disk");
            Ok(None)
        }
        Err(e) => Err(ApiError::Internal(e.into())),
    }
}

/// The user's file and its bytes, or 404.
pub async fn read(state: &AppState, user_id: Uuid, id: Uuid) -> ApiResult<(FileInfo, Vec<u8>)> {
    read_owned(state, user_id, id).await?.ok_or_else(not_found)
}

/// The user's file as a `data:<mime>;base64,…` URL, for image parts sent to vision models
/// (`None` if it is not theirs or is gone).
pub async fn data_url(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> ApiResult<Option<(FileInfo, String)>> {
    Ok(read_owned(state, user_id, id).await?.map(|(info, bytes)| {
        let url = format!(
            "data:{};base64,{}",
            info.mime,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        (info, url)
    }))
}

/// Deletes the user's file: the row, then the bytes on disk.
pub async fn delete(state: &AppState, user_id: Uuid, id: Uuid) -> ApiResult<()> {
    let row = store::get_file(&state.db.conn, user_id, id)
        .await?
        .ok_or_else(not_found)?;
    if !store::delete_file(&state.db.conn, user_id, id).await? {
        return Err(not_found());
    }
    if let Err(e) = tokio::fs::remove_file(dir(state).join(&row.stored_name)).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        // The row is gone, so the file can no longer be reached; log the leftover.
        tracing::warn!(file_id = %id, error = %e, "could not remove a deleted file");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn rgba(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            w,
            h,
            image::Rgba([10, 200, 30, 128]),
        ))
    }

    #[test]
    fn png_stays_png_with_alpha_and_is_scaled_keeping_aspect() {
        let out = process(&encode(rgba(3000, 1500), ImageFormat::Png)).unwrap();
        assert_eq!((out.mime, out.ext), ("image/png", "png"));
        assert_eq!((out.width, out.height), (2048, 1024));
        let img = image::load_from_memory(&out.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (2048, 1024));
        assert!(img.color().has_alpha());
    }

    #[test]
    fn transparent_gifs_become_jpegs_over_white() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            20,
            10,
            image::Rgba([0, 0, 0, 0]),
        ));
        let out = process(&encode(clear, ImageFormat::Gif)).unwrap();
        assert_eq!(out.mime, "image/jpeg");
        let img = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
        assert!(img.pixels().all(|p| p.0.iter().all(|&c| c > 240)), "white");
    }

    #[test]
    fn other_formats_garbage_and_huge_images_are_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert!(matches!(
            process(svg),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        let mut broken = encode(rgba(50, 50), ImageFormat::Png);
        broken.truncate(60);
        assert!(matches!(process(&broken), Err(ApiError::BadRequest(_))));
        // 8000 × 6000 of one colour compresses to a few KiB but is 48 megapixels.
        let huge = encode(
            DynamicImage::ImageLuma8(image::GrayImage::new(8000, 6000)),
            ImageFormat::Png,
        );
        assert!(huge.len() < MAX_BYTES);
        assert!(matches!(process(&huge), Err(ApiError::PayloadTooLarge(_))));
        assert!(matches!(
            process(&vec![0; MAX_BYTES + 1]),
            Err(ApiError::PayloadTooLarge(_))
        ));
    }
}
