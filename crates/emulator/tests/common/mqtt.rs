//! A minimal blocking MQTT 5 client for tests: connect with a user name and
//! password, publish at QoS 1 and read the PUBACK's reason code, subscribe
//! at QoS 0, and use PINGREQ / PINGRESP as a barrier that proves every
//! message routed before it has been delivered.

use std::io::{self, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// How long any single read may block before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// PUBACK reason: accepted.
pub const SUCCESS: u8 = 0x00;
/// PUBACK reason: accepted, but nobody subscribes.
pub const NO_MATCHING_SUBSCRIBERS: u8 = 0x10;
/// PUBACK reason: refused by the ACL.
pub const NOT_AUTHORIZED: u8 = 0x87;

/// A connected MQTT 5 client.
pub struct Client {
    stream: TcpStream,
    next_id: u16,
    /// Messages received while waiting for something else: (topic, payload).
    pub inbox: Vec<(String, Vec<u8>)>,
}

/// One packet: the first byte and the rest.
struct Packet {
    kind: u8,
    body: Vec<u8>,
}

fn put_str(out: &mut Vec<u8>, text: &[u8]) {
    let len = u16::try_from(text.len()).expect("MQTT string too long");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text);
}

fn put_varint(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let mut byte = (value % 128) as u8;
        value /= 128;
        if value > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if value == 0 {
            break;
        }
    }
}

fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    put_varint(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// Reads a variable byte integer from `bytes` at `at`, moving `at` on.
fn get_varint(bytes: &[u8], at: &mut usize) -> usize {
    let mut value = 0;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

/// Why a connection was refused: the CONNACK reason code, or an I/O error.
#[derive(Debug)]
pub enum ConnectError {
    /// The broker answered with this reason code.
    Refused(u8),
    /// The connection failed.
    Io(io::Error),
}

impl From<io::Error> for ConnectError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl Client {
    /// Connects to the broker on loopback `port` with a clean start.
    pub fn connect(
        port: u16,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> Result<Self, ConnectError> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let mut body = Vec::new();
        put_str(&mut body, b"MQTT");
        body.push(5);
        body.push(0x80 | 0x40 | 0x02);
        body.extend_from_slice(&60u16.to_be_bytes());
        body.push(0); // no properties
        put_str(&mut body, client_id.as_bytes());
        put_str(&mut body, username.as_bytes());
        put_str(&mut body, password.as_bytes());
        let mut client = Self {
            stream,
            next_id: 0,
            inbox: Vec::new(),
        };
        client.stream.write_all(&frame(0x10, &body))?;
        let packet = client.read_packet()?;
        if packet.kind & 0xf0 != 0x20 {
            return Err(ConnectError::Io(io::Error::other(format!(
                "expected CONNACK, got packet type {:#x}",
                packet.kind
            ))));
        }
        match packet.body.get(1) {
            Some(0) => Ok(client),
            Some(code) => Err(ConnectError::Refused(*code)),
            None => Err(ConnectError::Io(io::Error::other("short CONNACK"))),
        }
    }

    fn read_packet(&mut self) -> io::Result<Packet> {
        let mut kind = [0u8; 1];
        self.stream.read_exact(&mut kind)?;
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let mut byte = [0u8; 1];
            self.stream.read_exact(&mut byte)?;
            len |= usize::from(byte[0] & 0x7f) << shift;
            if byte[0] & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body)?;
        Ok(Packet {
            kind: kind[0],
            body,
        })
    }

    fn packet_id(&mut self) -> u16 {
        self.next_id = self.next_id % u16::MAX + 1;
        self.next_id
    }

    /// Reads packets until one of type `kind` (upper nibble) arrives,
    /// keeping messages in [`Client::inbox`].
    fn expect(&mut self, kind: u8) -> io::Result<Packet> {
        loop {
            let packet = self.read_packet()?;
            match packet.kind & 0xf0 {
                0x30 => self.keep_message(&packet),
                0xe0 => {
                    return Err(io::Error::other(format!(
                        "the broker disconnected (reason {:#x})",
                        packet.body.first().copied().unwrap_or(0)
                    )));
                }
                found if found == kind => return Ok(packet),
                found => {
                    return Err(io::Error::other(format!(
                        "expected packet type {kind:#x}, got {found:#x}"
                    )));
                }
            }
        }
    }

    fn keep_message(&mut self, packet: &Packet) {
        let body = &packet.body;
        let len = usize::from(u16::from_be_bytes([body[0], body[1]]));
        let topic = String::from_utf8_lossy(&body[2..2 + len]).into_owned();
        let mut at = 2 + len;
        if packet.kind & 0x06 != 0 {
            at += 2; // packet id (only QoS 0 is subscribed, but be safe)
        }
        let properties = get_varint(body, &mut at);
        at += properties;
        self.inbox.push((topic, body[at..].to_vec()));
    }

    /// Publishes at QoS 1 and returns the PUBACK's reason code.
    pub fn publish(&mut self, topic: &str, payload: &[u8]) -> io::Result<u8> {
        let id = self.packet_id();
        let mut body = Vec::new();
        put_str(&mut body, topic.as_bytes());
        body.extend_from_slice(&id.to_be_bytes());
        body.push(0); // no properties
        body.extend_from_slice(payload);
        self.stream.write_all(&frame(0x32, &body))?;
        let puback = self.expect(0x40)?;
        let got = u16::from_be_bytes([puback.body[0], puback.body[1]]);
        if got != id {
            return Err(io::Error::other("PUBACK for another packet"));
        }
        Ok(puback.body.get(2).copied().unwrap_or(SUCCESS))
    }

    /// Subscribes to these filters at QoS 0 and returns the SUBACK's
    /// reason codes.
    pub fn subscribe(&mut self, filters: &[&str]) -> io::Result<Vec<u8>> {
        let id = self.packet_id();
        let mut body = id.to_be_bytes().to_vec();
        body.push(0); // no properties
        for filter in filters {
            put_str(&mut body, filter.as_bytes());
            body.push(0); // QoS 0
        }
        self.stream.write_all(&frame(0x82, &body))?;
        let suback = self.expect(0x90)?;
        let mut at = 2;
        let properties = get_varint(&suback.body, &mut at);
        Ok(suback.body[at + properties..].to_vec())
    }

    /// Sends PINGREQ and waits for PINGRESP. The broker answers in order on
    /// one connection, so every message it queued for this client before
    /// reading the PINGREQ is in [`Client::inbox`] afterwards.
    pub fn barrier(&mut self) -> io::Result<()> {
        self.stream.write_all(&[0xc0, 0])?;
        self.expect(0xd0).map(|_| ())
    }

    /// Sends DISCONNECT and waits until the broker closes the connection,
    /// so that the client id is free again.
    pub fn disconnect(mut self) -> io::Result<()> {
        self.stream.write_all(&[0xe0, 0])?;
        let mut rest = Vec::new();
        let _ = self.stream.read_to_end(&mut rest);
        Ok(())
    }
}
