//! The media store: files customers sent (and agents will send), kept in the data dir under
//! names SAW generates (`media/2026/11/3f2a…`), never under a name a customer chose. A file
//! is written to a temporary name, synced, then renamed, so a crash leaves no half file
//! under a real name. The database row says which file belongs to which message.
//!
//! [`fetch`] is the background job that brings inbound files in; [`open_for`] hands a file to
//! a user who may see its ticket.

pub mod fetch;
pub mod voice;

use std::path::{Path, PathBuf};

use saw_core::ids::{MessageId, TicketId};
use saw_core::outbound::{MediaKind, MediaPayload};
use saw_core::user::User;
use saw_store::repo::media::{self, MediaFile};
use saw_store::repo::tickets;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{App, AppError, random};

#[derive(Debug, Clone)]
pub struct MediaStore {
    root: PathBuf,
}

/// Why a file could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("the download broke off: {0}")]
    Source(String),
    #[error("media store: {0}")]
    Io(#[from] std::io::Error),
}

/// A file written to the store.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The name relative to the store's root, kept in the database.
    pub name: String,
    pub size: u64,
    pub sha256_hex: String,
}

impl MediaStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file behind a stored name; `None` for a name SAW could not have made (the
    /// database is trusted, but a path never leaves the store's root).
    pub fn path_of(&self, name: &str) -> Option<PathBuf> {
        let valid = !name.is_empty()
            && name
                .split('/')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
        valid.then(|| self.root.join(name))
    }

    /// Writes the chunks `next` yields into a new file, refusing (and removing it) past
    /// `max` bytes. An error from `next` (the download broke) removes the file too.
    pub async fn save(&self, max: u64, source: &mut impl ChunkSource) -> Result<Saved, MediaError> {
        let dir = chrono::Utc::now().format("%Y/%m").to_string();
        tokio::fs::create_dir_all(self.root.join(&dir)).await?;
        let name = format!("{dir}/{}", hex::encode(random::bytes::<16>()));
        let partial = self.root.join(format!("{name}partial"));
        let written = write_capped(&partial, max, source).await;
        match written {
            Ok((size, sha256_hex)) => {
                tokio::fs::rename(&partial, self.root.join(&name)).await?;
                Ok(Saved {
                    name,
                    size,
                    sha256_hex,
                })
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(e)
            }
        }
    }
}

/// Where a file's bytes come from, a chunk at a time.
pub trait ChunkSource {
    /// The next chunk, `None` at the end, or why the source broke off.
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<bytes::Bytes>, String>> + Send;
}

impl ChunkSource for reqwest::Response {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, String> {
        // Never the URL in the error: Telegram's holds the bot token.
        self.chunk().await.map_err(|e| e.without_url().to_string())
    }
}

async fn write_capped(
    path: &Path,
    max: u64,
    source: &mut impl ChunkSource,
) -> Result<(u64, String), MediaError> {
    let mut file = tokio::fs::File::create(path).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = source.next_chunk().await.map_err(MediaError::Source)? {
        size += chunk.len() as u64;
        if size > max {
            return Err(MediaError::TooLarge { max });
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// A file an agent sends, already in the media store.
#[derive(Debug, Clone)]
pub struct Upload {
    pub saved: Saved,
    pub kind: MediaKind,
    pub mime_type: String,
    pub filename: Option<String>,
    pub caption: Option<String>,
}

impl Upload {
    /// What the outbox sends (uploaded to the provider by the dispatcher).
    pub fn payload(&self) -> MediaPayload {
        MediaPayload {
            kind: self.kind,
            provider_media_id: None,
            mime_type: self.mime_type.clone(),
            filename: self.filename.clone(),
            caption: self.caption.clone(),
        }
    }
}

/// WhatsApp's limit for a photo's, video's or document's caption (protocols.md A7).
pub const CAPTION_MAX: usize = 1024;

/// The kind an agent's file is sent as, by its type: what WhatsApp shows as a photo, a
/// voice or audio message or a video, else a document (protocols.md A8).
pub fn kind_for_upload(mime_type: &str) -> Option<MediaKind> {
    [
        MediaKind::Image,
        MediaKind::Audio,
        MediaKind::Video,
        MediaKind::Document,
    ]
    .into_iter()
    .find(|kind| kind.allowed_mime(mime_type))
}

/// Writes an agent's file into the store within its kind's limit (WhatsApp's, so Meta never
/// refuses it for size); the caller sets the caption. Answers [`AppError::Unsendable`] for
/// a type WhatsApp does not take or a file too large.
pub async fn receive_upload(
    app: &App,
    mime_type: &str,
    filename: Option<String>,
    source: &mut impl ChunkSource,
) -> Result<Upload, AppError> {
    if fetch::essence(mime_type) == "audio/webm" {
        return receive_voice_note(app, source).await;
    }
    let kind = kind_for_upload(mime_type).ok_or_else(|| {
        AppError::Unsendable(format!(
            "WhatsApp does not take files of type {mime_type} (photos: JPEG, PNG; audio: AAC, AMR, MP3, M4A, OGG; video: MP4, 3GP; documents: PDF, TXT, Office)"
        ))
    })?;
    let saved = save(app, kind, source).await?;
    let filename = filename
        .map(|f| f.replace(['/', '\\', '\0'], "_"))
        .filter(|f| !f.trim().is_empty());
    Ok(Upload {
        saved,
        kind,
        mime_type: fetch::essence(mime_type),
        filename,
        caption: None,
    })
}

/// Writes a file into the store within `kind`'s limit.
async fn save(
    app: &App,
    kind: MediaKind,
    source: &mut impl ChunkSource,
) -> Result<Saved, AppError> {
    app.media
        .save(kind.max_bytes(), source)
        .await
        .map_err(|e| match e {
            MediaError::TooLarge { max } => AppError::Unsendable(format!(
                "the file is larger than {} MB, WhatsApp's limit for this type",
                max / 1_000_000
            )),
            MediaError::Source(why) => AppError::Malformed(why),
            MediaError::Io(e) => AppError::Secrets(format!("media store: {e}")),
        })
}

/// A whole file as one chunk.
struct OneChunk(Option<bytes::Bytes>);

impl ChunkSource for OneChunk {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, String> {
        Ok(self.0.take())
    }
}

/// A voice note recorded in a browser as WebM/Opus, stored as the Ogg/Opus file WhatsApp
/// plays as a voice message: the Opus packets are copied, not encoded again.
async fn receive_voice_note(app: &App, source: &mut impl ChunkSource) -> Result<Upload, AppError> {
    let recorded = save(app, MediaKind::Audio, source).await?;
    let path = app
        .media
        .path_of(&recorded.name)
        .ok_or_else(|| AppError::Secrets("media store: unexpected file name".into()))?;
    let read = tokio::fs::read(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    let webm = read.map_err(|e| AppError::Secrets(format!("media store: {e}")))?;
    let ogg = tokio::task::spawn_blocking(move || voice::webm_opus_to_ogg(&webm))
        .await
        .map_err(|e| AppError::Secrets(format!("voice note: {e}")))?
        .map_err(|e| AppError::Unsendable(format!("the recording could not be read: {e}")))?;
    let saved = save(app, MediaKind::Audio, &mut OneChunk(Some(ogg.into()))).await?;
    Ok(Upload {
        saved,
        kind: MediaKind::Audio,
        mime_type: "audio/ogg".into(),
        filename: Some("audio.ogg".into()),
        caption: None,
    })
}

/// Removes a stored file nobody refers to (an upload whose message was refused).
pub async fn discard(app: &App, upload: &Upload) {
    if let Some(path) = app.media.path_of(&upload.saved.name) {
        let _ = tokio::fs::remove_file(path).await;
    }
}

/// A file ready to be served, with what the web layer needs to serve it safely.
#[derive(Debug)]
pub struct Download {
    pub path: PathBuf,
    pub file: MediaFile,
}

/// The media file of a message on a ticket `user` may see; [`AppError::NotFound`] when the
/// ticket is not theirs to see, the message is not on it, or its file is not ready.
pub async fn open_for(
    app: &App,
    user: &User,
    ticket: TicketId,
    message: MessageId,
) -> Result<Download, AppError> {
    let (account, visibility) = (user.account_id, crate::tickets::visibility(user));
    let file = app
        .store
        .read(move |c| {
            tickets::visible(c, account, ticket, visibility)?;
            media::file_of(c, account, message)
        })
        .await?
        .filter(|f| f.ticket_id == ticket)
        .ok_or(AppError::NotFound)?;
    let path = app.media.path_of(&file.path).ok_or(AppError::NotFound)?;
    Ok(Download { path, file })
}
