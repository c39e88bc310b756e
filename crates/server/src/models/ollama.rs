//! The Ollama registry (`OLLAMA_REGISTRY`): a model `name:tag` is its manifest
//! (`/v2/{namespace}/{model}/manifests/{tag}`); its layers are blobs fetched by digest
//! (`/v2/{namespace}/{model}/blobs/sha256:…`, a redirect to the registry's CDN). We keep the
//! GGUF (`model` layer), the template and the parameters, under names of our own:
//! `ollama/{namespace}/{model}/{tag}.gguf`, `.template`, `.params.json`. The registry has no
//! search API, so a search looks the name up.

use serde_json::Value;
use url::Url;

use super::names;
use super::source::{self, Hit, Plan, PlannedFile, RemoteFile, Source, SourceError};

const MANIFEST_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// An Ollama registry.
pub struct OllamaRegistry {
    base: Url,
    client: reqwest::Client,
}

/// A layer we keep, and the suffix of its file.
fn kept(media_type: &str) -> Option<&'static str> {
    match media_type.strip_prefix("application/vnd.ollama.image.")? {
        "model" => Some("gguf"),
        "template" => Some("template"),
        "params" => Some("params.json"),
        _ => None,
    }
}

impl OllamaRegistry {
    /// A registry at `base` (e.g. `https://registry.ollama.ai`).
    pub fn new(base: Url, client: reqwest::Client) -> Self {
        Self { base, client }
    }

    async fn manifest(&self, name: &str) -> Result<(String, String, String, Value), SourceError> {
        let (ns, model, tag) = names::ollama_name(name)?;
        let url = source::endpoint(&self.base, &["v2", &ns, &model, "manifests", &tag]);
        let request = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, MANIFEST_TYPE);
        let manifest = source::json(request, &format!("model {name}")).await?;
        Ok((ns, model, tag, manifest))
    }

    fn layers(manifest: &Value) -> Result<Vec<(String, String, u64)>, SourceError> {
        let layers = manifest["layers"]
            .as_array()
            .ok_or_else(|| SourceError::Upstream("the manifest has no layers".into()))?;
        let mut out = Vec::new();
        for layer in layers {
            let media = layer["mediaType"].as_str().unwrap_or_default().to_owned();
            let digest = names::digest(layer["digest"].as_str().unwrap_or_default())?;
            let size = layer["size"]
                .as_u64()
                .ok_or_else(|| SourceError::Upstream("a layer has no size".into()))?;
            out.push((media, digest, size));
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Source for OllamaRegistry {
    fn name(&self) -> &'static str {
        "ollama"
    }

    async fn search(
        &self,
        query: &str,
        _gguf_only: bool,
        _limit: usize,
    ) -> Result<Vec<Hit>, SourceError> {
        let (ns, model, tag, manifest) = match self.manifest(query.trim()).await {
            Ok(found) => found,
            Err(SourceError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let size = Self::layers(&manifest)?.iter().map(|l| l.2).sum();
        let id = if ns == "library" {
            format!("{model}:{tag}")
        } else {
            format!("{ns}/{model}:{tag}")
        };
        Ok(vec![Hit {
            id,
            downloads: None,
            gguf: true,
            gated: false,
            size_bytes: Some(size),
        }])
    }

    async fn files(&self, repo: &str, _revision: &str) -> Result<Vec<RemoteFile>, SourceError> {
        let (_, _, _, manifest) = self.manifest(repo).await?;
        Ok(Self::layers(&manifest)?
            .into_iter()
            .map(|(media, digest, size)| RemoteFile {
                path: media,
                size_bytes: size,
                sha256: Some(digest),
                quantization: None,
                split: None,
            })
            .collect())
    }

    async fn plan(
        &self,
        repo: &str,
        _revision: &str,
        _files: &[String],
    ) -> Result<Plan, SourceError> {
        let (ns, model, tag, manifest) = self.manifest(repo).await?;
        let mut files = Vec::new();
        for (media, digest, size) in Self::layers(&manifest)? {
            let Some(suffix) = kept(&media) else { continue };
            let blob = format!("sha256:{digest}");
            files.push(PlannedFile {
                url: source::endpoint(&self.base, &["v2", &ns, &model, "blobs", &blob]).to_string(),
                file_name: format!("ollama/{ns}/{model}/{tag}.{suffix}"),
                remote_path: media,
                size_bytes: size,
                sha256: digest,
            });
        }
        files.sort_by_key(|f| !f.file_name.ends_with(".gguf"));
        if !files
            .first()
            .is_some_and(|f| f.file_name.ends_with(".gguf"))
        {
            return Err(SourceError::Upstream(format!("{repo} has no model layer")));
        }
        Ok(Plan {
            repo: format!("{ns}/{model}"),
            revision: tag.clone(),
            label: repo.to_owned(),
            files,
        })
    }

    fn authorization(&self, _url: &Url) -> Option<String> {
        None
    }
}
