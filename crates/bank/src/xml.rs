//! A small element tree over quick-xml, so that statements can be read by path while staying
//! lenient about what real banks put around the fields (namespace prefixes, stray text, order).
//!
//! Limits: the input size, the nesting depth and the number of elements are bounded; every
//! element remembers the line it starts on, for error messages.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::BankError;

/// Largest bank file accepted, in bytes.
pub const FILE_BYTES_MAX: usize = 64 * 1024 * 1024;
const DEPTH_MAX: usize = 64;
const ELEMENTS_MAX: usize = 4_000_000;

/// One element: local name (namespace prefix dropped), attributes, text, children, line.
#[derive(Debug, Default)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
    /// Text content directly inside (trimmed).
    pub text: String,
    /// Child elements in order.
    pub children: Vec<Element>,
    /// Line of the start tag (1-based).
    pub line: usize,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of local names, e.g. `["Acct", "Id", "IBAN"]`.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The trimmed text at a path, if present and not empty.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|e| e.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// An attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn local(name: &[u8]) -> String {
    let name = match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    String::from_utf8_lossy(name).into_owned()
}

fn line_of(input: &[u8], pos: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &input[..pos.min(input.len())]).count()
}

/// Line numbers of increasing positions, counted incrementally: counting from the start for
/// every element made reading a file quadratic in its size.
struct Lines {
    pos: usize,
    line: usize,
}

impl Lines {
    fn at(&mut self, input: &[u8], pos: usize) -> usize {
        let pos = pos.min(input.len());
        if pos < self.pos {
            return line_of(input, pos);
        }
        self.line += memchr::memchr_iter(b'\n', &input[self.pos..pos]).count();
        self.pos = pos;
        self.line
    }
}

/// Parses a whole document into its root element.
pub fn parse(input: &[u8]) -> Result<Element, BankError> {
    parse_streaming(input, |_, el| Ok(Some(el)))
}

/// Parses a document, handing every element to `on_close` as it closes, with its ancestors
/// (`ancestors[0]` is a nameless holder of the root, `ancestors[1]` the root element, each
/// without the children already handed on). What `on_close` returns is attached to the parent;
/// `None` drops the element, so a reader can turn each large repeated element (a statement
/// entry) into its own data at once and the tree never holds the whole file.
pub fn parse_streaming(
    input: &[u8],
    mut on_close: impl FnMut(&[Element], Element) -> Result<Option<Element>, BankError>,
) -> Result<Element, BankError> {
    if input.len() > FILE_BYTES_MAX {
        return Err(BankError::TooLarge { bytes: input.len() });
    }
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut count = 0usize;
    let mut lines = Lines { pos: 0, line: 1 };
    loop {
        let pos = reader.buffer_position() as usize;
        let line = lines.at(input, pos);
        // Events borrow from the input: nothing is copied into a buffer first.
        let event = reader.read_event().map_err(|e| BankError::Xml {
            line: line_of(input, reader.error_position() as usize),
            why: e.to_string(),
        })?;
        let bad = |why: String| BankError::Xml { line, why };
        match event {
            Event::Start(s) | Event::Empty(s) if stack.len() > DEPTH_MAX => {
                return Err(bad(format!(
                    "elements nested deeper than {DEPTH_MAX} at <{}>",
                    local(s.name().as_ref())
                )))
            }
            Event::Start(ref s) | Event::Empty(ref s) => {
                count += 1;
                if count > ELEMENTS_MAX {
                    return Err(bad(format!("more than {ELEMENTS_MAX} elements")));
                }
                let mut el = Element {
                    name: local(s.name().as_ref()),
                    line,
                    ..Default::default()
                };
                for a in s.attributes() {
                    let a = a.map_err(|e| bad(e.to_string()))?;
                    let v = a
                        .unescape_value()
                        .map_err(|e| bad(e.to_string()))?
                        .into_owned();
                    el.attrs.push((local(a.key.as_ref()), v));
                }
                if matches!(event, Event::Empty(_)) {
                    if let Some(el) = on_close(&stack, el)? {
                        stack.last_mut().expect("root").children.push(el);
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().expect("quick-xml checks that end tags match");
                if stack.is_empty() {
                    return Err(bad("unbalanced end tag".into()));
                }
                if let Some(el) = on_close(&stack, el)? {
                    stack.last_mut().expect("not empty").children.push(el);
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| bad(e.to_string()))?;
                let top = stack.last_mut().expect("root");
                top.text.push_str(text.trim());
            }
            Event::CData(c) => {
                let top = stack.last_mut().expect("root");
                top.text.push_str(String::from_utf8_lossy(&c).trim());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(BankError::Xml {
            line: line_of(input, input.len()),
            why: format!(
                "<{}> is not closed",
                stack.last().map_or("", |e| e.name.as_str())
            ),
        });
    }
    let mut root = stack.pop().expect("root");
    match root.children.len() {
        1 => Ok(root.children.remove(0)),
        0 => Err(BankError::Xml {
            line: 1,
            why: "no root element".into(),
        }),
        _ => Err(BankError::Xml {
            line: root.children[1].line,
            why: "more than one root element".into(),
        }),
    }
}
