//! Uploaded files: every accepted format is re-encoded (EXIF, padding and trailing bytes gone),
//! scaled to 2048 px, served only to its owner with headers that keep browsers from running
//! it, and deleted with its bytes on disk; anything else is refused with the envelope.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Frame, ImageFormat, Rgba, RgbaImage};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, TestUser};
use crate::on_both_databases;

const MIB: usize = 1024 * 1024;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `POST /api/files` with `bytes` as the multipart field `field`.
async fn upload_field(
    app: &TestApp,
    user: &TestUser,
    field: &str,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new().part(field.to_owned(), part);
    let res = app
        .client
        .post(app.url("/api/files"))
        .bearer_auth(&user.access_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    json_of(res).await
}

async fn upload(
    app: &TestApp,
    user: &TestUser,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> (u16, Value) {
    upload_field(app, user, "file", bytes, file_name, mime).await
}

/// A gradient with some transparency, so scaling and alpha have something to keep.
fn rgba(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            90,
            if x < w / 2 { 255 } else { 100 },
        ])
    })
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    encode(DynamicImage::ImageRgba8(rgba(w, h)), ImageFormat::Png)
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&DynamicImage::ImageRgba8(rgba(w, h)).to_rgb8())
        .unwrap();
    out
}

fn webp(w: u32, h: u32) -> Vec<u8> {
    encode(DynamicImage::ImageRgba8(rgba(w, h)), ImageFormat::WebP)
}

/// An animated GIF: a red frame, then a blue one.
fn two_frame_gif(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        for colour in [Rgba([255, 0, 0, 255]), Rgba([0, 0, 255, 255])] {
            enc.encode_frame(Frame::new(RgbaImage::from_pixel(w, h, colour)))
                .unwrap();
        }
    }
    out
}

/// `jpeg` with an EXIF APP1 segment right after SOI: orientation 6 (turn 90° clockwise) and a
/// canary the stored file must not contain.
fn jpeg_with_exif(w: u32, h: u32, canary: &[u8]) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes()); // first IFD right after the header
    tiff.extend(1u16.to_le_bytes()); // one entry
    tiff.extend(0x0112u16.to_le_bytes()); // Orientation
    tiff.extend(3u16.to_le_bytes()); // SHORT
    tiff.extend(1u32.to_le_bytes()); // one value
    tiff.extend(6u16.to_le_bytes());
    tiff.extend([0, 0]);
    tiff.extend(0u32.to_le_bytes()); // no next IFD
    tiff.extend(canary);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let plain = jpeg(w, h);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

async fn get_file(app: &TestApp, user: &TestUser, id: &str) -> reqwest::Response {
    app.get_as(&user.access_token, &format!("/api/files/{id}"))
        .await
}

/// Names in `DATA_DIR/files`, temporary files included.
fn stored_files(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(app.db.data_dir.join("files")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

on_both_databases! {
    async fn each_format_is_reencoded_and_served_to_its_owner_with_safe_headers(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let ada = app.user("ada").await;
        for (bytes, name, sent_mime, stored_mime, (w, h)) in [
            (png(64, 48), "a.png", "image/png", "image/png", (64, 48)),
            (jpeg(80, 60), "b.jpg", "image/jpeg", "image/jpeg", (80, 60)),
            (webp(30, 20), "c.webp", "image/webp", "image/jpeg", (30, 20)),
            (two_frame_gif(16, 8), "d.gif", "image/gif", "image/jpeg", (16, 8)),
        ] {
            let (status, info) = upload(&app, &ada, bytes, name, sent_mime).await;
            assert_eq!(status, 201, "{name}: {info}");
            assert_eq!(info["mime"], stored_mime, "{name}");
            assert_eq!((info["width"].as_u64().unwrap(), info["height"].as_u64().unwrap()), (u64::from(w), u64::from(h)), "{name}");
            assert!(info["created_at"].is_string());
            let res = get_file(&app, &ada, info["id"].as_str().unwrap()).await;
            assert_eq!(res.status(), 200, "{name}");
            let headers = res.headers().clone();
            assert_eq!(headers["content-type"], stored_mime);
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
            assert_eq!(headers["cache-control"], "private, max-age=3600");
            let bytes = res.bytes().await.unwrap();
            assert_eq!(bytes.len() as u64, info["size"].as_u64().unwrap(), "{name}");
            let img = decode(&bytes);
            assert_eq!((img.width(), img.height()), (w, h), "{name}");
            match name {
                // PNG stays PNG and keeps its transparency.
                "a.png" => assert_eq!(img.to_rgba8().get_pixel(60, 10)[3], 100),
                // Only the first frame of an animation is kept.
                "d.gif" => {
                    let p = img.to_rgb8().get_pixel(8, 4).0;
                    assert!(p[0] > 200 && p[2] < 60, "first (red) frame, got {p:?}");
                }
                _ => {}
            }
        }
        let names = stored_files(&app);
        assert_eq!(names.len(), 4, "{names:?}");
        // Generated names (`<uuid>.<ext>`), never the client's.
        assert!(
            names.iter().all(|n| {
                let (stem, ext) = n.split_once('.').unwrap();
                stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()) && ["png", "jpg"].contains(&ext)
            }),
            "{names:?}"
        );
    }

    async fn large_images_are_scaled_to_2048_px_on_the_long_side(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let bea = app.user("bea").await;
        let (status, info) = upload(&app, &bea, png(4000, 1000), "wide.png", "image/png").await;
        assert_eq!(status, 201, "{info}");
        assert_eq!((info["width"].as_u64().unwrap(), info["height"].as_u64().unwrap()), (2048, 512));
        let bytes = get_file(&app, &bea, info["id"].as_str().unwrap()).await.bytes().await.unwrap();
        let img = decode(&bytes);
        assert_eq!((img.width(), img.height()), (2048, 512));
    }

    async fn exif_and_bytes_hidden_in_the_upload_are_dropped(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let cy = app.user("cyrus").await;
        let canary = b"CANARY-gps-51.5N-0.12W";
        let mut sent = jpeg_with_exif(40, 20, canary);
        assert!(decode(&sent).width() == 40, "the test JPEG itself is readable");
        // Something appended after the end of the image, too.
        sent.extend(b"<script>alert(1)</script>CANARY-trailer");
        let (status, info) = upload(&app, &cy, sent, "photo.jpg", "image/jpeg").await;
        assert_eq!(status, 201, "{info}");
        // The EXIF orientation was applied to the pixels before EXIF was dropped.
        assert_eq!((info["width"].as_u64().unwrap(), info["height"].as_u64().unwrap()), (20, 40));
        let bytes = get_file(&app, &cy, info["id"].as_str().unwrap()).await.bytes().await.unwrap();
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"Exif"), "no EXIF segment");
        assert!(!has(b"CANARY"), "nothing of the original bytes");
        assert!(!has(b"<script>"));
        assert!(!bytes.windows(2).any(|w| w == [0xFF, 0xE1]), "no APP1 segment at all");
        let img = decode(&bytes);
        assert_eq!((img.width(), img.height()), (20, 40));
    }

    async fn uploads_that_are_not_images_are_refused_with_the_envelope(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let dee = app.user("dee").await;
        // Text named and labelled as a PNG: the bytes decide.
        let (status, body) = upload(&app, &dee, b"just some notes, not a picture".to_vec(), "notes.png", "image/png").await;
        assert_eq!(status, 415, "{body}");
        assert_eq!(body["error"]["code"], "unsupported_media_type");
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
        let (status, _) = upload(&app, &dee, svg, "x.svg", "image/svg+xml").await;
        assert_eq!(status, 415);
        // A PNG signature followed by garbage does not decode.
        let mut broken = png(50, 50);
        broken.truncate(60);
        let (status, body) = upload(&app, &dee, broken, "broken.png", "image/png").await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "bad_request");
        // No `file` field: an empty form, or the image under another name.
        let res = app.client.post(app.url("/api/files")).bearer_auth(&dee.access_token)
            .multipart(reqwest::multipart::Form::new()).send().await.unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["details"]["fields"]["file"].is_string(), "{body}");
        // As a browser sends an empty FormData: only the closing boundary.
        let res = app.client.post(app.url("/api/files")).bearer_auth(&dee.access_token)
            .header("content-type", "multipart/form-data; boundary=XyZ").body("--XyZ--\r\n")
            .send().await.unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = upload_field(&app, &dee, "image", png(4, 4), "a.png", "image/png").await;
        assert_eq!(status, 422);
        // Not multipart at all.
        let res = app.send_as(&dee.access_token, Method::POST, "/api/files", Some(serde_json::json!({"file": "x"}))).await;
        let (status, body) = json_of(res).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["code"].is_string(), "envelope: {body}");
        assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    }

    async fn files_up_to_10_mib_are_accepted_and_larger_ones_are_413(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let eve = app.user("eve").await;
        // Exactly 10 MiB (a small JPEG padded after its end): with the multipart framing the
        // body is over the 10 MiB MAX_BODY_SIZE default, which this route allows.
        let mut padded = jpeg(32, 32);
        padded.resize(10 * MIB, 0);
        let (status, info) = upload(&app, &eve, padded, "padded.jpg", "image/jpeg").await;
        assert_eq!(status, 201, "{info}");
        assert!(info["size"].as_u64().unwrap() < 100_000, "{info}");
        let mut big = png(8, 8);
        big.resize(10 * MIB + 1, 0);
        let (status, body) = upload(&app, &eve, big, "big.png", "image/png").await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
        assert!(body["error"]["message"].as_str().unwrap().contains("10 MiB"), "{body}");
        assert_eq!(stored_files(&app).len(), 1);
    }

    async fn another_user_cannot_read_or_delete_a_file(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fay = app.user("fay").await;
        let gus = app.user("gus").await;
        let (status, info) = upload(&app, &fay, png(10, 10), "mine.png", "image/png").await;
        assert_eq!(status, 201);
        let id = info["id"].as_str().unwrap();
        let res = get_file(&app, &gus, id).await;
        assert_eq!(res.status(), 404);
        let (_, body) = json_of(res).await;
        assert_eq!(body["error"]["code"], "not_found");
        let res = app.send_as(&gus.access_token, Method::DELETE, &format!("/api/files/{id}"), None).await;
        assert_eq!(res.status(), 404);
        assert_eq!(get_file(&app, &fay, id).await.status(), 200, "the owner still reads it");
        // The chat code's view: a data URL for the owner only.
        let fid: uuid::Uuid = id.parse().unwrap();
        let (fay_id, gus_id) = (fay.id.parse().unwrap(), gus.id.parse().unwrap());
        let (meta, url) = llm_manager::files::service::data_url(&app.state, fay_id, fid).await.unwrap().unwrap();
        assert_eq!(meta.width, 10);
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(decode(&bytes).width(), 10);
        assert!(llm_manager::files::service::data_url(&app.state, gus_id, fid).await.unwrap().is_none());
        assert!(llm_manager::files::service::get_owned(&app.state, gus_id, fid).await.unwrap().is_none());
        assert_eq!(llm_manager::files::service::get_owned(&app.state, fay_id, fid).await.unwrap().unwrap().id, fid);
    }

    async fn deleting_a_file_removes_it_from_disk(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let hal = app.user("hal").await;
        let (_, keep) = upload(&app, &hal, png(5, 5), "keep.png", "image/png").await;
        let (_, gone) = upload(&app, &hal, jpeg(5, 5), "gone.jpg", "image/jpeg").await;
        assert_eq!(stored_files(&app).len(), 2);
        let id = gone["id"].as_str().unwrap();
        let res = app.send_as(&hal.access_token, Method::DELETE, &format!("/api/files/{id}"), None).await;
        assert_eq!(res.status(), 204);
        assert_eq!(get_file(&app, &hal, id).await.status(), 404);
        let res = app.send_as(&hal.access_token, Method::DELETE, &format!("/api/files/{id}"), None).await;
        assert_eq!(res.status(), 404);
        let names = stored_files(&app);
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].ends_with(".png"));
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM files").await, 1);
        assert_eq!(get_file(&app, &hal, keep["id"].as_str().unwrap()).await.status(), 200);
    }

    async fn files_need_a_signed_in_user(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let ivy = app.user("ivy").await;
        let (_, info) = upload(&app, &ivy, png(5, 5), "a.png", "image/png").await;
        let id = info["id"].as_str().unwrap();
        let part = reqwest::multipart::Part::bytes(png(5, 5)).file_name("a.png");
        let res = app.client.post(app.url("/api/files"))
            .multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(app.get(&format!("/api/files/{id}")).await.status(), 401);
        let res = app.client.delete(app.url(&format!("/api/files/{id}"))).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(stored_files(&app).len(), 1);
    }
}
