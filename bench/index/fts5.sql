-- SPDX-License-Identifier: GPL-2.0-or-later
-- SQLite FTS5 peer for bench-index: title and body indexed with the Porter
-- stemmer over unicode61 (case folded, diacritics removed); every column is
-- stored in the table (a plain fts5 table keeps its content, comparable to
-- morgue's LZ4 records). Filled by .import of convert.py's CSV, then merged
-- into one b-tree by 'optimize'.
CREATE VIRTUAL TABLE t USING fts5(
  id UNINDEXED, title, body, date UNINDEXED, source UNINDEXED,
  category UNINDEXED, author UNINDEXED, url UNINDEXED,
  tokenize = 'porter unicode61');
