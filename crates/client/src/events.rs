//! Following a node's event stream (`GET /v1/events`, Server-Sent Events).

use crate::http::ClientError;
use credence_types::api::{EventId, StreamedEvent};

/// Largest event a stream accepts, in bytes: far above any event the ledger emits.
const EVENT_BYTES_MAX: usize = 1 << 20;

/// An open event stream. Remembers the id of the last event it returned, so that a client
/// whose connection drops reconnects with [`EventStream::last_id`] and misses nothing.
pub struct EventStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
    last: Option<EventId>,
}

impl EventStream {
    pub(crate) fn new(response: reqwest::Response, last: Option<EventId>) -> Self {
        Self {
            response,
            buffer: Vec::new(),
            last,
        }
    }

    /// The id of the last event returned (or the one the stream resumed after).
    pub fn last_id(&self) -> Option<EventId> {
        self.last
    }

    /// The next event; `None` when the node closed the stream.
    pub async fn next(&mut self) -> Result<Option<StreamedEvent>, ClientError> {
        loop {
            if let Some(end) = find_blank_line(&self.buffer) {
                let message: Vec<u8> = self.buffer.drain(..end).collect();
                if let Some(event) = parse(&message)? {
                    self.last = Some(event.id);
                    return Ok(Some(event));
                }
                continue;
            }
            match self.response.chunk().await? {
                None => return Ok(None),
                Some(chunk) => {
                    self.buffer.extend_from_slice(&chunk);
                    if self.buffer.len() > EVENT_BYTES_MAX {
                        return Err(ClientError::Stream("an event exceeds 1 MiB".to_string()));
                    }
                }
            }
        }
    }
}

/// The end of the first message (after its blank line), if the buffer holds one whole.
fn find_blank_line(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(2)
        .position(|pair| pair == b"\n\n")
        .map(|at| at + 2)
}

/// One SSE message: its `data:` lines as a [`StreamedEvent`]; `None` for a comment (the
/// node's keep-alive) or a message without data.
fn parse(message: &[u8]) -> Result<Option<StreamedEvent>, ClientError> {
    let text = std::str::from_utf8(message)
        .map_err(|_| ClientError::Stream("an event is not UTF-8".to_string()))?;
    let mut data = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
    if data.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&data)
        .map(Some)
        .map_err(|e| ClientError::Stream(format!("an event does not parse: {e}")))
}

#[cfg(test)]
mod tests {
    use super::{find_blank_line, parse};

    #[test]
    fn messages_split_on_blank_lines_and_comments_are_skipped() {
        let event = br#"id: 7:0
event: subject_registered
data: {"id":"7:0","source":"begin_block","event":{"kind":"subject_registered","subject":"0000000000000000000000000000000000000000000000000000000000000000"}}

"#;
        let end = find_blank_line(event).unwrap();
        assert_eq!(end, event.len());
        let parsed = parse(&event[..end]).unwrap().unwrap();
        assert_eq!(parsed.id.to_string(), "7:0");
        assert_eq!(parse(b": keep-alive\n\n").unwrap(), None);
        assert_eq!(find_blank_line(b"id: 1:0\ndata: {"), None);
    }
}
