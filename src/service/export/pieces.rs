//! An export streamed: written on a blocking task into pieces that travel through a
//! small channel to the response, so a slow reader holds back the reading.

use crate::error::{AppError, AppResult};
use actix_web::web::Bytes;
use futures_util::Stream;
use std::io::Write;

/// Bytes gathered before a piece of the response is sent.
const PIECE: usize = 64 * 1024;
/// Pieces that may wait for a slow reader.
const WAITING: usize = 4;

/// A piece of the export as it is written.
pub type Piece = Result<Bytes, std::io::Error>;

/// A `Write` that sends what it is given as pieces of `PIECE` bytes.
pub(super) struct Pieces {
    buffer: Vec<u8>,
    to: tokio::sync::mpsc::Sender<Piece>,
}

impl Pieces {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(PIECE),
        ));
        // The reader went away: stop reading the database.
        self.to
            .blocking_send(Ok(piece))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= PIECE {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Run `open` on a blocking task and answer its refusal, if any, before any byte; then
/// `write` what it opened into the stream returned.
pub(super) async fn stream<S>(
    open: impl FnOnce() -> AppResult<S> + Send + 'static,
    write: impl FnOnce(S, Pieces) -> AppResult<Pieces> + Send + 'static,
) -> AppResult<impl Stream<Item = Piece> + 'static> {
    let (ready, started) = tokio::sync::oneshot::channel::<AppResult<()>>();
    let (to, from) = tokio::sync::mpsc::channel::<Piece>(WAITING);
    actix_web::rt::task::spawn_blocking(move || {
        let opened = match open() {
            Ok(opened) => opened,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if ready.send(Ok(())).is_err() {
            return;
        }
        let pieces = Pieces {
            buffer: Vec::with_capacity(PIECE),
            to: to.clone(),
        };
        let written = write(opened, pieces).and_then(|mut p| p.flush().map_err(AppError::internal));
        if let Err(e) = written {
            tracing::warn!(error = %e, "the export stopped midway");
            let _ = to.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    started
        .await
        .map_err(|_| AppError::internal("the export's task ended before it began"))??;
    Ok(futures_util::stream::unfold(from, |mut from| async move {
        from.recv().await.map(|piece| (piece, from))
    }))
}
