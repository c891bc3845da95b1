//! A small element tree over quick-xml, so that statements can be read by path while staying
//! lenient about what real banks put around the fields (namespace prefixes, stray text, order).
//!
//! The tree is an arena: elements are rows of one vector, linked to their first child and next
//! sibling by index, and names and text borrow from the input unless an entity had to be
//! replaced. Reading a statement entry therefore allocates nothing per element; a streaming
//! reader that drops each entry after turning it into data reuses the same rows for the next.
//!
//! Limits: the input size, the nesting depth and the number of elements are bounded; every
//! element remembers the line it starts on, for error messages.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::BankError;

/// Largest bank file accepted, in bytes.
pub const FILE_BYTES_MAX: usize = 64 * 1024 * 1024;
const DEPTH_MAX: usize = 64;
const ELEMENTS_MAX: usize = 4_000_000;
/// Most attributes one element may have. ISO 20022 elements carry one or two (`Ccy`, the
/// namespace declarations); the cap also bounds quick-xml's duplicate-attribute check, which
/// compares each attribute with the ones before it.
pub const ATTRIBUTES_MAX: usize = 64;
const NONE: u32 = u32::MAX;

/// The index of an element in its [`Tree`].
pub type NodeId = u32;

#[derive(Debug)]
struct Node<'a> {
    /// Byte offset of the start tag's qualified name in the input; its line is counted when
    /// asked for.
    at: u32,
    /// Bytes of the qualified name.
    name_len: u16,
    /// Where the local name starts in the qualified name (after the prefix and its colon).
    local_at: u16,
    /// Text directly inside, each piece trimmed.
    text: Cow<'a, str>,
    first_child: u32,
    last_child: u32,
    next: u32,
    /// This element's attributes are `attrs[attrs_start..attrs_end]`.
    attrs_start: u32,
    attrs_end: u32,
}

/// Elements read from one document; see [`El`] for reading them.
#[derive(Debug)]
pub struct Tree<'a> {
    input: &'a [u8],
    /// Line numbers are counted on from the last one asked for (they are asked for in
    /// document order), so a file's newlines are counted about once.
    lines: std::cell::Cell<Lines>,
    nodes: Vec<Node<'a>>,
    /// Attributes by local name, of all elements, in document order.
    attrs: Vec<(Cow<'a, [u8]>, Cow<'a, str>)>,
    root: u32,
}

/// One element of a [`Tree`]: its local name, attributes, text, children and line.
#[derive(Debug, Clone, Copy)]
pub struct El<'t, 'a> {
    tree: &'t Tree<'a>,
    id: u32,
}

impl<'a> Tree<'a> {
    /// The qualified name of a node, as written.
    fn qname(&self, n: &Node<'a>) -> &'a [u8] {
        let at = n.at as usize;
        &self.input[at..at + usize::from(n.name_len)]
    }

    /// The document's root element.
    pub fn root(&self) -> El<'_, 'a> {
        self.get(self.root)
    }

    /// The element with this id.
    ///
    /// # Panics
    /// If the id is not of this tree (ids come only from the reader that built it).
    pub fn get(&self, id: NodeId) -> El<'_, 'a> {
        assert!(
            (id as usize) < self.nodes.len(),
            "element id of another tree"
        );
        El { tree: self, id }
    }
}

impl<'t, 'a> El<'t, 'a> {
    fn node(&self) -> &'t Node<'a> {
        &self.tree.nodes[self.id as usize]
    }

    fn local(&self) -> &'t [u8] {
        let n = self.node();
        &self.tree.qname(n)[n.local_at as usize..]
    }

    /// Local name (namespace prefix dropped); not UTF-8 shows as replacement characters.
    pub fn name(&self) -> Cow<'t, str> {
        String::from_utf8_lossy(self.local())
    }

    /// Whether the local name is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.local() == name.as_bytes()
    }

    /// Text content directly inside (each piece trimmed).
    pub fn text(&self) -> &'t str {
        &self.node().text
    }

    /// Line of the start tag (1-based).
    pub fn line(&self) -> usize {
        let tree = self.tree;
        let mut lines = tree.lines.get();
        let line = lines.at(tree.input, self.node().at as usize);
        tree.lines.set(lines);
        line
    }

    /// Child elements in order.
    pub fn children(&self) -> impl Iterator<Item = El<'t, 'a>> + 't {
        let tree = self.tree;
        let mut id = self.node().first_child;
        std::iter::from_fn(move || {
            let el = (id != NONE).then_some(El { tree, id })?;
            id = tree.nodes[id as usize].next;
            Some(el)
        })
    }

    /// The first child with each of these local names, found in one walk of the children (the
    /// same as [`El::child`] for each name; cheaper when a reader wants many of them).
    pub fn firsts<const N: usize>(&self, names: [&str; N]) -> [Option<El<'t, 'a>>; N] {
        let mut out = [None; N];
        for c in self.children() {
            let local = c.local();
            if let Some(i) = names.iter().position(|n| n.as_bytes() == local) {
                out[i].get_or_insert(c);
            }
        }
        out
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<El<'t, 'a>> {
        self.children().find(|c| c.is(name))
    }

    /// All children with this local name.
    pub fn all<'n>(&self, name: &'n str) -> impl Iterator<Item = El<'t, 'a>> + 'n
    where
        't: 'n,
    {
        self.children().filter(move |c| c.is(name))
    }

    /// The element at a path of local names, e.g. `["Acct", "Id", "IBAN"]`, each step the
    /// first child of that name.
    pub fn at(&self, path: &[&str]) -> Option<El<'t, 'a>> {
        path.iter().try_fold(*self, |e, name| e.child(name))
    }

    /// The trimmed text at a path, if present and not empty.
    pub fn text_at(&self, path: &[&str]) -> Option<&'t str> {
        self.at(path).map(|e| e.text()).filter(|t| !t.is_empty())
    }

    /// An attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&'t str> {
        let n = self.node();
        self.tree.attrs[n.attrs_start as usize..n.attrs_end as usize]
            .iter()
            .find(|(k, _)| **k == *name.as_bytes())
            .map(|(_, v)| &**v)
    }
}

/// Where `part` starts in `input`, when it is a slice of it (quick-xml hands out slices of
/// the input it reads from); comparing addresses needs no unsafe code.
fn offset_in(input: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    let inside = input.get(start..start.wrapping_add(part.len()))?;
    (inside.as_ptr() == part.as_ptr()).then_some(start)
}

/// `part` as a slice of `input` when it lies inside it, else a copy.
fn borrowed<'a>(input: &'a [u8], part: &[u8]) -> Cow<'a, [u8]> {
    match offset_in(input, part) {
        Some(start) => Cow::Borrowed(&input[start..start + part.len()]),
        None => Cow::Owned(part.to_vec()),
    }
}

/// The text `part` of the document, without copying when it lies inside `input` and the whole
/// input was valid UTF-8 (`valid`): then it is a slice of that string, and entities are
/// replaced only when an `&` is in it. Otherwise `fallback` decodes and unescapes it.
fn text_of<'a>(
    input: &'a [u8],
    valid: Option<&'a str>,
    part: &[u8],
    fallback: impl FnOnce() -> Result<Cow<'a, str>, String>,
) -> Result<Cow<'a, str>, String> {
    let slice = valid.and_then(|doc| {
        let start = offset_in(input, part)?;
        // `get` and not indexing: a boundary inside a character gives `None`, not a panic.
        doc.get(start..start + part.len())
    });
    match slice {
        Some(text) if !text.as_bytes().contains(&b'&') => Ok(Cow::Borrowed(text)),
        Some(text) => quick_xml::escape::unescape(text).map_err(|e| e.to_string()),
        None => fallback(),
    }
}

fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// quick-xml's error at byte `pos`, kept out of line: the reading loop moves only the event.
#[cold]
#[inline(never)]
fn xml_error(input: &[u8], pos: u64, e: &quick_xml::Error) -> BankError {
    BankError::Xml {
        line: line_of(input, pos as usize),
        why: e.to_string(),
    }
}

fn line_of(input: &[u8], pos: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &input[..pos.min(input.len())]).count()
}

/// Line numbers of increasing positions, counted incrementally: counting from the start for
/// every element made reading a file quadratic in its size.
#[derive(Debug, Clone, Copy)]
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

/// Appends a trimmed piece of text to an element's text, borrowing while it is the only piece.
fn add_text<'a>(to: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    // quick-xml has taken XML's whitespace off both ends; `trim` takes Unicode's too, and is
    // not needed when both ends are other ASCII bytes (nearly always).
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !char::from(b).is_whitespace());
    let bytes = piece.as_bytes();
    let piece = match piece {
        p if plain(bytes.first()) && plain(bytes.last()) => p,
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    };
    if to.is_empty() {
        *to = piece;
    } else {
        to.to_mut().push_str(&piece);
    }
}

/// Parses a whole document into its tree.
pub fn parse(input: &[u8]) -> Result<Tree<'_>, BankError> {
    parse_streaming(input, |_, _, _| Ok(true))
}

/// Parses a document, calling `on_close(tree, ancestors, element)` for every element as it
/// closes. `ancestors[0]` is a nameless holder of the root, `ancestors[1]` the root element;
/// each holds only the children closed and kept so far. `Ok(true)` keeps the element in its
/// parent; `Ok(false)` drops it with everything inside, so a reader can turn each large
/// repeated element (a statement entry) into its own data at once and the tree never holds the
/// whole file.
pub fn parse_streaming<'a>(
    input: &'a [u8],
    mut on_close: impl FnMut(&Tree<'a>, &[NodeId], NodeId) -> Result<bool, BankError>,
) -> Result<Tree<'a>, BankError> {
    if input.len() > FILE_BYTES_MAX {
        return Err(BankError::TooLarge { bytes: input.len() });
    }
    // One check of the whole document instead of one per piece of text: its text can then be
    // borrowed as it is. A document that is not UTF-8 is still read piece by piece, and fails
    // where a piece of text is not.
    let valid = std::str::from_utf8(input).ok();
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    // End tags are checked against the open element's name below, which is cheaper than
    // quick-xml's own check (it copies every open name).
    reader.config_mut().check_end_names = false;
    let mut tree = Tree {
        input,
        lines: std::cell::Cell::new(Lines { pos: 0, line: 1 }),
        nodes: Vec::with_capacity(64),
        attrs: Vec::new(),
        root: NONE,
    };
    let new_node = |at: usize, qname: &[u8], attrs_start| Node {
        at: at as u32,
        name_len: qname.len() as u16,
        local_at: (qname.len() - local(qname).len()) as u16,
        text: Cow::Borrowed(""),
        first_child: NONE,
        last_child: NONE,
        next: NONE,
        attrs_start,
        attrs_end: attrs_start,
    };
    tree.nodes.push(new_node(0, &[], 0));
    let mut stack: Vec<NodeId> = vec![0];
    let mut count = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        // Events borrow from the input: nothing is copied into a buffer first.
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return Err(xml_error(input, reader.error_position(), &e)),
        };
        // Lines are counted for start tags only; an error elsewhere counts its own.
        let bad = |why: String| BankError::Xml {
            line: line_of(input, pos),
            why,
        };
        let (closed, parent) = match event {
            Event::Start(s) | Event::Empty(s) if stack.len() > DEPTH_MAX => {
                return Err(bad(format!(
                    "elements nested deeper than {DEPTH_MAX} at <{}>",
                    String::from_utf8_lossy(local(s.name().as_ref()))
                )))
            }
            Event::Start(ref s) | Event::Empty(ref s) => {
                let qname = s.name();
                let qname = qname.as_ref();
                // The tag's own line, not the end of what came before (whitespace between
                // elements is skipped by the same read). quick-xml hands out names as slices
                // of the input it reads from; the tree keeps only where they are.
                let Some(at) = offset_in(input, qname) else {
                    return Err(bad("element name not read from the document".into()));
                };
                let bad = |why: String| BankError::Xml {
                    line: line_of(input, at),
                    why,
                };
                count += 1;
                if count > ELEMENTS_MAX {
                    return Err(bad(format!("more than {ELEMENTS_MAX} elements")));
                }
                if qname.len() > usize::from(u16::MAX) {
                    return Err(bad(format!("element name longer than {} bytes", u16::MAX)));
                }
                let attrs_start = tree.attrs.len() as u32;
                // A tag that is only its name has no attributes to look for.
                if s.len() > qname.len() {
                    for (n, a) in s.attributes().enumerate() {
                        if n == ATTRIBUTES_MAX {
                            return Err(bad(format!(
                                "more than {ATTRIBUTES_MAX} attributes on one element"
                            )));
                        }
                        let a = a.map_err(|e| bad(e.to_string()))?;
                        let value = match borrowed(input, &a.value) {
                            Cow::Borrowed(raw) => text_of(input, valid, raw, || {
                                let text = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
                                quick_xml::escape::unescape(text).map_err(|e| e.to_string())
                            })
                            .map_err(bad)?,
                            Cow::Owned(_) => Cow::Owned(
                                a.unescape_value()
                                    .map_err(|e| bad(e.to_string()))?
                                    .into_owned(),
                            ),
                        };
                        tree.attrs
                            .push((borrowed(input, local(a.key.as_ref())), value));
                    }
                }
                let id = tree.nodes.len() as u32;
                let mut node = new_node(at, qname, attrs_start);
                node.attrs_end = tree.attrs.len() as u32;
                tree.nodes.push(node);
                if matches!(event, Event::Empty(_)) {
                    (id, *stack.last().expect("holder"))
                } else {
                    stack.push(id);
                    continue;
                }
            }
            Event::End(e) => {
                let id = stack.pop().expect("the holder is never popped");
                let Some(&parent) = stack.last() else {
                    return Err(bad(format!(
                        "end tag `</{}>` without a start tag",
                        String::from_utf8_lossy(e.name().as_ref())
                    )));
                };
                let open = tree.qname(&tree.nodes[id as usize]);
                if open != e.name().as_ref() {
                    let at = offset_in(input, e.name().as_ref()).unwrap_or(pos);
                    return Err(BankError::Xml {
                        line: line_of(input, at),
                        why: format!(
                            "ill-formed document: expected `</{}>`, but `</{}>` was found",
                            String::from_utf8_lossy(open),
                            String::from_utf8_lossy(e.name().as_ref())
                        ),
                    });
                }
                (id, parent)
            }
            Event::Text(t) => {
                let text = text_of(input, valid, &t, || t.unescape().map_err(|e| e.to_string()))
                    .map_err(bad)?;
                let top = *stack.last().expect("holder");
                add_text(&mut tree.nodes[top as usize].text, text);
                continue;
            }
            Event::CData(c) => {
                let text = match c.into_inner() {
                    Cow::Borrowed(b) => String::from_utf8_lossy(b),
                    Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
                };
                let top = *stack.last().expect("holder");
                add_text(&mut tree.nodes[top as usize].text, text);
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if on_close(&tree, &stack, closed)? {
            let p = &mut tree.nodes[parent as usize];
            let last = std::mem::replace(&mut p.last_child, closed);
            if last == NONE {
                p.first_child = closed;
            } else {
                tree.nodes[last as usize].next = closed;
            }
        } else {
            // Everything from `closed` on is inside it: it is the last element opened and
            // closed, so its rows (and its attributes) are the arena's tail.
            let attrs_start = tree.nodes[closed as usize].attrs_start as usize;
            tree.nodes.truncate(closed as usize);
            tree.attrs.truncate(attrs_start);
        }
    }
    if stack.len() != 1 {
        let open = tree.get(*stack.last().expect("not empty"));
        return Err(BankError::Xml {
            line: line_of(input, input.len()),
            why: format!("<{}> is not closed", open.name()),
        });
    }
    let (first, second) = {
        let mut roots = tree.get(0).children();
        (roots.next().map(|e| e.id), roots.next().map(|e| e.line()))
    };
    match (first, second) {
        (Some(root), None) => {
            tree.root = root;
            Ok(tree)
        }
        (None, _) => Err(BankError::Xml {
            line: 1,
            why: "no root element".into(),
        }),
        (Some(_), Some(line)) => Err(BankError::Xml {
            line,
            why: "more than one root element".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_joins_trimmed_pieces_and_replaces_entities() {
        let tree =
            parse(b"<r><a>  x &amp; y <!-- c --> w <![CDATA[ <z> ]]></a><b/><a>2</a></r>").unwrap();
        let r = tree.root();
        assert_eq!(r.child("a").unwrap().text(), "x & yw<z>");
        assert_eq!(
            r.all("a").map(|a| a.text()).collect::<Vec<_>>(),
            ["x & yw<z>", "2"]
        );
        assert_eq!(r.text_at(&["b"]), None, "empty text is absent");
        assert_eq!(
            r.children()
                .map(|c| c.name().into_owned())
                .collect::<Vec<_>>(),
            ["a", "b", "a"]
        );
        // Unicode's whitespace is taken off as well as XML's.
        let tree = parse("<r><a>\u{a0}x y\u{2003}</a><b>z\u{a0}</b></r>".as_bytes()).unwrap();
        assert_eq!(tree.root().text_at(&["a"]), Some("x y"));
        assert_eq!(tree.root().text_at(&["b"]), Some("z"));
    }

    #[test]
    fn text_is_the_same_whether_the_document_is_all_utf8_or_not() {
        // Valid UTF-8: text borrowed from the document, entities replaced where present.
        let doc = "<r a=\"&lt;é&gt;\"><b> één &amp; twee </b><c>drie</c></r>";
        let tree = parse(doc.as_bytes()).unwrap();
        let r = tree.root();
        assert_eq!(r.attr("a"), Some("<é>"));
        assert_eq!(r.text_at(&["b"]), Some("één & twee"));
        assert_eq!(r.text_at(&["c"]), Some("drie"));
        // A stray Latin-1 byte in a comment: read piece by piece, with the same text.
        let mut latin = doc.replace("<c>", "<!-- x --><c>").into_bytes();
        let at = latin.windows(3).position(|w| w == b" x ").unwrap() + 1;
        latin[at] = 0xe9;
        let tree = parse(&latin).unwrap();
        let r = tree.root();
        assert_eq!(r.attr("a"), Some("<é>"));
        assert_eq!(r.text_at(&["b"]), Some("één & twee"));
        assert_eq!(r.text_at(&["c"]), Some("drie"));
        // Latin-1 in text is an error naming the line, not a panic or a guess.
        let bad = b"<r>\n<b>caf\xe9</b></r>";
        match parse(bad) {
            Err(BankError::Xml { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn firsts_finds_the_first_child_of_each_name_in_one_walk() {
        let tree = parse(b"<r><a>1</a><b>2</b><a>3</a><p:c>4</p:c></r>").unwrap();
        let r = tree.root();
        let [a, c, d, b] = r.firsts(["a", "c", "d", "b"]);
        assert_eq!(
            (
                a.map(|e| e.text()),
                b.map(|e| e.text()),
                c.map(|e| e.text())
            ),
            (Some("1"), Some("2"), Some("4"))
        );
        assert!(d.is_none());
        for name in ["a", "b", "c", "d"] {
            assert_eq!(
                r.firsts([name])[0].map(|e| e.text()),
                r.child(name).map(|e| e.text())
            );
        }
    }

    #[test]
    fn prefixes_are_dropped_from_names_and_attributes() {
        let tree = parse(b"<p:r xmlns:p=\"u\"><p:Amt p:Ccy=\"E&amp;R\">1</p:Amt></p:r>").unwrap();
        let amt = tree.root().at(&["Amt"]).unwrap();
        assert!(amt.is("Amt"));
        assert_eq!(amt.attr("Ccy"), Some("E&R"));
        assert_eq!(amt.attr("Other"), None);
    }

    #[test]
    fn an_element_with_too_many_attributes_is_refused_with_the_limit() {
        // The probe's file: one element with a great many attributes. Checking each against
        // the ones before it made such a file take a minute; now the limit stops it.
        let mut doc = b"<Document\n".to_vec();
        for i in 0..100_000 {
            doc.extend_from_slice(format!(" a{i}=\"x\"").as_bytes());
        }
        doc.extend_from_slice(b"/>");
        let err = parse(&doc).unwrap_err().to_string();
        assert!(err.contains("more than 64 attributes"), "{err}");
        assert!(err.contains("line 1"), "{err}");
        // At the limit it is read, duplicates still refused.
        let mut ok = b"<r".to_vec();
        for i in 0..ATTRIBUTES_MAX {
            ok.extend_from_slice(format!(" a{i}=\"{i}\"").as_bytes());
        }
        ok.extend_from_slice(b"/>");
        assert_eq!(parse(&ok).unwrap().root().attr("a63"), Some("63"));
        assert!(parse(b"<r a=\"1\" a=\"2\"/>").is_err());
    }

    #[test]
    fn dropped_elements_free_their_rows() {
        let mut doc = b"<r><h>head</h>".to_vec();
        for i in 0..1000 {
            doc.extend_from_slice(format!("<e n=\"{i}\"><x>{i}</x><y/></e>\n").as_bytes());
        }
        doc.extend_from_slice(b"<t>tail</t></r>");
        let mut most = 0;
        let mut seen = 0;
        let tree = parse_streaming(&doc, |tree, up, id| {
            most = most.max(tree.nodes.len());
            let el = tree.get(id);
            if el.is("e") {
                assert_eq!(el.attr("n"), Some(seen.to_string().as_str()));
                assert_eq!(el.text_at(&["x"]), Some(seen.to_string().as_str()));
                assert_eq!(el.line(), seen + 1);
                assert!(tree.get(up[1]).is("r"));
                seen += 1;
                return Ok(false);
            }
            Ok(true)
        })
        .unwrap();
        assert_eq!(seen, 1000);
        assert!(most <= 6, "rows in use at most {most}");
        let r = tree.root();
        assert_eq!(
            r.children().map(|c| c.text()).collect::<Vec<_>>(),
            ["head", "tail"]
        );
        assert!(tree.attrs.is_empty());
    }

    #[test]
    fn structure_errors_name_the_line() {
        let mut long_name = b"<a>\n<".to_vec();
        long_name.extend(std::iter::repeat_n(b'n', 65_536));
        long_name.extend_from_slice(b"/></a>");
        for (doc, line, why) in [
            (&b"<a>\n<b>\n</a>"[..], 3, "expected `</b>`"),
            (b"<a/>\n<b/>", 2, "more than one root"),
            (b"  ", 1, "no root"),
            (b"<a>\n<b>", 2, "<b> is not closed"),
            (
                b"<p:a xmlns:p=\"u\" xmlns:q=\"u\">\n</q:a>",
                2,
                "expected `</p:a>`",
            ),
            (b"<a/>\n</a>", 2, "`</a>` does not match any open tag"),
            (&long_name, 2, "element name longer than 65535 bytes"),
        ] {
            match parse(doc) {
                Err(BankError::Xml { line: l, why: w }) => {
                    assert_eq!(l, line, "{w}");
                    assert!(w.contains(why), "{w}");
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
