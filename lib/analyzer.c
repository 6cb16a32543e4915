/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The analyser: word splitting by the morgue rules, folding, stemming. */
#include "analyzer.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hash.h"
#include "utf8.h"

/* A word's raw text is folded from at most this many bytes: the term is cut
 * to MG_TERM_MAX anyway, and the cap keeps the scratch buffers fixed, so a
 * 1 MiB run of letters costs one linear scan and no allocation. Folding can
 * shrink text (stripped accents, ignorables), hence the slack. */
#define RAW_CAP (4 * MG_TERM_MAX)
/* Longest full decomposition of one code point (U+FDFA gives 18). */
#define DECOMP_MAX 18
#define FOLD_CAP (RAW_CAP * DECOMP_MAX + 8)

/* Stemming is most of the analysis time, and news vocabulary is Zipfian:
 * a small direct-mapped cache of recent word -> stem pairs skips the
 * stemmer for most tokens (on Reuters-21578, 5x faster analysis). */
#define STEM_SLOTS 32768
#define STEM_KEY 30
typedef struct stem_slot {
    unsigned char wlen; /* 0: empty */
    unsigned char slen;
    char w[STEM_KEY];
    char s[STEM_KEY]; /* NUL-terminated (slen < STEM_KEY) */
} stem_slot;

struct mg_analyzer {
    struct sb_stemmer *stemmer; /* NULL for "none" */
    stem_slot *cache;           /* STEM_SLOTS entries, with a stemmer */
    char lang[32];
    size_t raw_len;
    bool raw_ascii;
    bool raw_digit;
    bool raw_full;
    char raw[RAW_CAP + 8];               /* the word's characters, cleaned */
    char word[MG_TERM_MAX + 8];          /* folded word */
    char term[MG_TERM_MAX + 8];          /* stemmed word */
    utf8proc_int32_t fold[FOLD_CAP + 1]; /* utf8proc work area */
};

/* Character classes, as the word rules see them. */
enum {
    C_SEP,   /* separates words: space, punctuation, symbols, U+FFFD */
    C_LET,   /* letter, or a number that is not a decimal digit */
    C_DIG,   /* decimal digit (any script) */
    C_MARK,  /* combining mark: continues whatever precedes it */
    C_CJK,   /* Han, kana, Hangul: one token per character */
    C_APOS,  /* apostrophe: inside a word only */
    C_DOT,   /* inside numbers and dotted acronyms only */
    C_COMMA, /* digit-group separator inside numbers only */
    C_IGN    /* default ignorable (soft hyphen, ZWJ...): skipped in a word */
};

/* clang-format off */
static const unsigned char ascii_class[128] = {
    ['0'] = C_DIG, ['1'] = C_DIG, ['2'] = C_DIG, ['3'] = C_DIG, ['4'] = C_DIG,
    ['5'] = C_DIG, ['6'] = C_DIG, ['7'] = C_DIG, ['8'] = C_DIG, ['9'] = C_DIG,
    ['A'] = C_LET, ['B'] = C_LET, ['C'] = C_LET, ['D'] = C_LET, ['E'] = C_LET,
    ['F'] = C_LET, ['G'] = C_LET, ['H'] = C_LET, ['I'] = C_LET, ['J'] = C_LET,
    ['K'] = C_LET, ['L'] = C_LET, ['M'] = C_LET, ['N'] = C_LET, ['O'] = C_LET,
    ['P'] = C_LET, ['Q'] = C_LET, ['R'] = C_LET, ['S'] = C_LET, ['T'] = C_LET,
    ['U'] = C_LET, ['V'] = C_LET, ['W'] = C_LET, ['X'] = C_LET, ['Y'] = C_LET,
    ['Z'] = C_LET, ['a'] = C_LET, ['b'] = C_LET, ['c'] = C_LET, ['d'] = C_LET,
    ['e'] = C_LET, ['f'] = C_LET, ['g'] = C_LET, ['h'] = C_LET, ['i'] = C_LET,
    ['j'] = C_LET, ['k'] = C_LET, ['l'] = C_LET, ['m'] = C_LET, ['n'] = C_LET,
    ['o'] = C_LET, ['p'] = C_LET, ['q'] = C_LET, ['r'] = C_LET, ['s'] = C_LET,
    ['t'] = C_LET, ['u'] = C_LET, ['v'] = C_LET, ['w'] = C_LET, ['x'] = C_LET,
    ['y'] = C_LET, ['z'] = C_LET, ['\''] = C_APOS, ['.'] = C_DOT,
    [','] = C_COMMA,
};
/* clang-format on */

static bool is_cjk(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || /* Hangul leading jamo */
           (cp >= 0x2E80 && cp <= 0x2FDF) || /* CJK and Kangxi radicals */
           cp == 0x3005 || cp == 0x3006 || cp == 0x3007 ||
           (cp >= 0x3021 && cp <= 0x3029) || /* Hangzhou numerals */
           (cp >= 0x3038 && cp <= 0x303B) || (cp >= 0x3041 && cp <= 0x3096) || /* Hiragana */
           (cp >= 0x309D && cp <= 0x30FF) ||   /* Hiragana marks, Katakana */
           (cp >= 0x3131 && cp <= 0x318E) ||   /* Hangul compatibility jamo */
           (cp >= 0x31F0 && cp <= 0x31FF) ||   /* Katakana extensions */
           (cp >= 0x3400 && cp <= 0x4DBF) ||   /* Han extension A */
           (cp >= 0x4E00 && cp <= 0x9FFF) ||   /* Han */
           (cp >= 0xA960 && cp <= 0xA97F) ||   /* Hangul jamo extended A */
           (cp >= 0xAC00 && cp <= 0xD7AF) ||   /* Hangul syllables */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* Han compatibility */
           (cp >= 0xFF66 && cp <= 0xFF9D) ||   /* half-width Katakana */
           (cp >= 0xFFA0 && cp <= 0xFFDC) ||   /* half-width Hangul */
           (cp >= 0x1B000 && cp <= 0x1B16F) || /* Kana supplement/extended */
           (cp >= 0x20000 && cp <= 0x3134F);   /* Han extensions B-G */
}

static int class_of(uint32_t cp)
{
    if (cp < 0x80)
        return ascii_class[cp];
    switch (cp) {
    case 0x2018: /* left single quote, often typed for an apostrophe */
    case 0x2019: /* right single quote: the typographic apostrophe */
    case 0x02BC: /* modifier letter apostrophe */
    case 0xFF07: /* full-width apostrophe */
        return C_APOS;
    case 0xFF0E: /* full-width full stop */
        return C_DOT;
    case 0xFF0C: /* full-width comma */
        return C_COMMA;
    case 0x00BC: /* vulgar fractions: their NFKC form holds a fraction */
    case 0x00BD: /* slash, so 2½ would otherwise read as the number 212 */
    case 0x00BE:
    case 0x2189:
    case 0x200B: /* zero width space: a separator in Thai and Khmer text */
    case MG_REPLACEMENT:
        return C_SEP;
    case 0xFF9E: /* half-width (semi-)voiced sound marks combine with kana */
    case 0xFF9F:
        return C_MARK;
    }
    if (cp >= 0x2150 && cp <= 0x215F)
        return C_SEP;
    if (cp >= 0x1160 && cp <= 0x11FF) /* Hangul vowel and trailing jamo */
        return C_MARK;
    if (cp >= 0xD7B0 && cp <= 0xD7FF)
        return C_MARK;
    if (is_cjk(cp))
        return C_CJK;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return C_LET;
    case UTF8PROC_CATEGORY_ND:
        return C_DIG;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return C_MARK;
    case UTF8PROC_CATEGORY_CF:
        return C_IGN;
    default:
        return C_SEP;
    }
}

/* Class of the character at i (C_SEP past the end); *adv gets its size. */
static inline int class_at(const unsigned char *s, size_t len, size_t i, size_t *adv)
{
    if (i >= len) {
        *adv = 0;
        return C_SEP;
    }
    if (s[i] < 0x80) {
        *adv = 1;
        return ascii_class[s[i]];
    }
    return class_of(mg_utf8_decode(s + i, len - i, adv));
}

/* Diacritics that folding removes. Marks that carry meaning in their script
 * (Indic vowel signs and viramas, kana voicing marks, Thai vowels) stay. */
static bool is_stripped_mark(utf8proc_int32_t cp)
{
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
        (cp >= 0xFE20 && cp <= 0xFE2F))
        return true;
    /* Hebrew points and Arabic harakat: optional vowel marks. */
    if ((cp >= 0x0591 && cp <= 0x05C7) || (cp >= 0x0610 && cp <= 0x061A) ||
        (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || (cp >= 0x06D6 && cp <= 0x06ED))
        return utf8proc_category(cp) == UTF8PROC_CATEGORY_MN;
    return false;
}

static bool is_space_cat(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return true;
    default:
        return false;
    }
}

static bool is_word_cat(utf8proc_int32_t cp)
{
    if (cp == '\'' || cp == '.')
        return true;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

#define DECOMP_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* NFKC + case folding + diacritics stripped, on n decoded code points in
 * buf (capacity n + 1 at least). For a word, code points that are not word
 * characters (a compatibility decomposition can bring in a fraction slash or
 * a space) are dropped; for a phrase, white space becomes ' '. Returns the
 * UTF-8 length written into buf (as bytes), or < 0 on a utf8proc error. */
static long fold_decomposed(utf8proc_int32_t *buf, utf8proc_ssize_t n, bool phrase)
{
    utf8proc_ssize_t o = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        utf8proc_int32_t cp = buf[i];
        if (is_stripped_mark(cp))
            continue;
        if (phrase) {
            if (is_space_cat(cp))
                cp = ' ';
            else if (class_of((uint32_t)cp) == C_APOS && cp != 0xFF07)
                cp = '\'';
        } else if (cp >= 0x80 ? !is_word_cat(cp) : ascii_class[cp] == C_SEP) {
            continue;
        }
        buf[o++] = cp;
    }
    return utf8proc_reencode(buf, o, UTF8PROC_COMPOSE);
}

/* Lowercases ASCII in place; the fast path for plain English text. */
static void ascii_lower(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] + ('a' - 'A'));
}

/* Appends the bytes of one character to the raw word, if there is room. */
static inline void raw_put(mg_analyzer *an, const unsigned char *s, size_t n)
{
    if (an->raw_full || an->raw_len + n > RAW_CAP) {
        an->raw_full = true; /* keep a prefix, never a word with holes */
        return;
    }
    if (n == 1) {
        an->raw[an->raw_len++] = (char)s[0];
        return;
    }
    an->raw_ascii = false;
    memcpy(an->raw + an->raw_len, s, n);
    an->raw_len += n;
}

/* Folds an->raw into an->word; returns its length (0: nothing left). */
static size_t fold_word(mg_analyzer *an)
{
    char *w = an->word;
    size_t n;

    if (an->raw_ascii) {
        n = an->raw_len < MG_TERM_MAX ? an->raw_len : MG_TERM_MAX;
        memcpy(w, an->raw, n);
        ascii_lower(w, n);
    } else {
        size_t in = an->raw_len;
        utf8proc_ssize_t cps;
        long bytes;
        /* The raw text is valid UTF-8 (the scanner copied decoded characters),
         * and RAW_CAP * DECOMP_MAX fits; the loop is a guard, not a path. */
        for (;;) {
            cps = utf8proc_decompose((const utf8proc_uint8_t *)an->raw, (utf8proc_ssize_t)in,
                                     an->fold, FOLD_CAP, DECOMP_OPTS);
            if (cps >= 0 && cps <= FOLD_CAP)
                break;
            if (cps < 0 || in < 2)
                return 0;
            in = mg_utf8_clip(an->raw, in, in / 2);
        }
        bytes = fold_decomposed(an->fold, cps, false);
        if (bytes <= 0)
            return 0;
        const char *f = (const char *)an->fold;
        n = mg_utf8_clip(f, (size_t)bytes, MG_TERM_MAX);
        memcpy(w, f, n);
    }
    /* Apostrophes and dots never end a word; an English possessive ('s)
     * is dropped so that Kim's, Kim’s and Kim give one word. */
    for (;;) {
        while (n > 0 && (w[n - 1] == '\'' || w[n - 1] == '.'))
            n--;
        if (n >= 2 && w[n - 1] == 's' && w[n - 2] == '\'')
            n -= 2;
        else
            break;
    }
    size_t lead = 0;
    while (lead < n && (w[lead] == '\'' || w[lead] == '.'))
        lead++;
    if (lead) {
        memmove(w, w + lead, n - lead);
        n -= lead;
    }
    w[n] = '\0';
    return n;
}

static bool has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return true;
    return false;
}

static uint32_t hash_word(const char *s, size_t n)
{
    return mg_fnv1a32(MG_FNV32_OFFSET, s, n);
}

/* Stems an->word (wn bytes, h = hash_word() of it). Returns the stem's
 * length and sets *out to it (NUL-terminated: an->term, or the stem cache's
 * copy, valid until the next word), 0 when the stem is empty (the caller
 * keeps the word), or -1 when out of memory. */
static long stem(mg_analyzer *an, size_t wn, uint32_t h, const char **out)
{
    stem_slot *slot = NULL;
    if (wn < STEM_KEY) {
        slot = &an->cache[h & (STEM_SLOTS - 1)];
        if (slot->wlen == wn && memcmp(slot->w, an->word, wn) == 0) {
            *out = slot->s;
            return slot->slen;
        }
    }
    const sb_symbol *st = sb_stemmer_stem(an->stemmer, (const sb_symbol *)an->word, (int)wn);
    if (!st)
        return -1;
    size_t tn = (size_t)sb_stemmer_length(an->stemmer);
    tn = mg_utf8_clip((const char *)st, tn, MG_TERM_MAX);
    /* Some stemmers leave a dangling apostrophe (french: kim's -> kim'). */
    while (tn > 0 && st[tn - 1] == '\'')
        tn--;
    memcpy(an->term, st, tn);
    an->term[tn] = '\0';
    *out = an->term;
    if (slot && tn < STEM_KEY) {
        slot->wlen = (unsigned char)wn;
        slot->slen = (unsigned char)tn;
        memcpy(slot->w, an->word, wn);
        memcpy(slot->s, an->term, tn + 1); /* with its NUL: tokens point here */
    }
    return (long)tn;
}

typedef struct scan {
    mg_analyzer *an;
    int flags;
    unsigned pos;
    long count;
    mg_token_fn fn;
    void *ctx;
    mg_err *err;
} scan;

/* Passes on an->word (wn bytes, not empty), covering text[start, end),
 * stemmed unless stem_it is false; h is hash_word() of it when stem_it.
 * Returns 0 to go on, else the value mg_analyze returns. */
static long put_token(scan *sc, size_t wn, bool stem_it, uint32_t h, size_t start, size_t end)
{
    mg_analyzer *an = sc->an;
    mg_token tok = {.term = an->word,
                    .term_len = wn,
                    .word = an->word,
                    .word_len = wn,
                    .pos = sc->pos,
                    .start = start,
                    .end = end};
    if (stem_it) {
        const char *st = NULL;
        long tn = stem(an, wn, h, &st);
        if (tn < 0)
            return mg_err_set(sc->err, MG_ENOMEM, "stemmer: out of memory");
        if (tn > 0) {
            tok.term = st;
            tok.term_len = (size_t)tn;
        }
    }
    sc->pos++;
    sc->count++;
    if (sc->fn) {
        int r = sc->fn(sc->ctx, &tok);
        if (r != 0)
            return r;
    }
    return 0;
}

static bool stems(const scan *sc)
{
    return sc->an->stemmer && !(sc->flags & MG_AN_NOSTEM);
}

/* Folds and stems the word in an->raw, covering text[start, end), and
 * passes it on. Returns 0 to go on, else the value mg_analyze returns. */
static long emit(scan *sc, size_t start, size_t end)
{
    mg_analyzer *an = sc->an;
    size_t wn = fold_word(an);
    if (wn == 0)
        return 0;
    /* A word with a digit is not stemmed. The scanner saw every digit of
     * an ASCII word (raw_digit); only folding of other text can make one
     * (full-width and superscript digits), so only then look again. */
    bool stem_it = stems(sc) && !an->raw_digit && (an->raw_ascii || !has_digit(an->word, wn));
    return put_token(sc, wn, stem_it, stem_it ? hash_word(an->word, wn) : 0, start, end);
}

/* The common word: a run of ASCII letters and digits at i (s[i] is one)
 * that ends at the end of the text or before an ASCII character after which
 * the word rules could not go on (white space, most punctuation; a dot or
 * a comma after a digit, or an apostrophe, only when no letter or digit
 * follows). Such a word is its lower-cased run, without the raw buffer,
 * the acronym rule or trimming; fold and hash in one pass. Returns 1 and
 * sets *end when it took the word (*r: what emit() would return), or 0 when
 * the general path must scan it. */
static int ascii_word(scan *sc, const unsigned char *s, size_t len, size_t i, size_t *end, long *r)
{
    size_t j = i;
    bool digit = false;
    int a = C_SEP;
    while (j < len && s[j] < 0x80) {
        a = ascii_class[s[j]];
        if (a == C_DIG)
            digit = true;
        else if (a != C_LET)
            break;
        j++;
    }
    if (j < len) {
        if (s[j] >= 0x80)
            return 0; /* a mark, a letter, a typographic apostrophe... */
        bool last_digit = ascii_class[s[j - 1]] == C_DIG;
        int next = j + 1 < len ? (s[j + 1] < 0x80 ? ascii_class[s[j + 1]] : -1) : C_SEP;
        switch (a) {
        case C_SEP:
            break;
        case C_APOS: /* Kim's, rock'n'roll */
            if (next != C_SEP && next != C_APOS && next != C_DOT && next != C_COMMA)
                return 0;
            break;
        case C_DOT: /* U.S., 3.5 */
            if ((j == i + 1 && ascii_class[s[i]] == C_LET) ||
                (last_digit && (next == C_DIG || next < 0)))
                return 0;
            break;
        case C_COMMA: /* 1,000 */
            if (last_digit)
                return 0;
            break;
        default:
            return 0;
        }
    }
    mg_analyzer *an = sc->an;
    size_t wn = j - i < MG_TERM_MAX ? j - i : MG_TERM_MAX;
    uint32_t h = MG_FNV32_OFFSET; /* hash_word(), as the word is made */
    for (size_t k = 0; k < wn; k++) {
        unsigned char c = s[i + k];
        c = (unsigned char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        an->word[k] = (char)c;
        h = (h ^ c) * MG_FNV32_PRIME;
    }
    an->word[wn] = '\0';
    *end = j;
    *r = put_token(sc, wn, stems(sc) && !digit, h, i, j);
    return 1;
}

/* End of a letter and its combining marks starting at i (a C_LET). */
static size_t skip_letter(const unsigned char *s, size_t len, size_t i)
{
    size_t adv;
    class_at(s, len, i, &adv);
    i += adv;
    while (class_at(s, len, i, &adv) == C_MARK)
        i += adv;
    return i;
}

/* True when a word goes on at i: a word character, or an apostrophe that
 * a word character follows. */
static bool word_goes_on(const unsigned char *s, size_t len, size_t i)
{
    size_t adv, adv2;
    int c = class_at(s, len, i, &adv);
    if (c == C_LET || c == C_DIG || c == C_MARK || c == C_IGN)
        return true;
    if (c == C_APOS) {
        c = class_at(s, len, i + adv, &adv2);
        return c == C_LET || c == C_DIG;
    }
    return false;
}

/* A dotted acronym at i (a letter): single letters each followed by a dot,
 * at least two letters (U.S., e.g., U.S.A). Returns its end (after the last
 * letter, the final dot excluded) with the letters in an->raw, or 0. */
static size_t scan_acronym(mg_analyzer *an, const unsigned char *s, size_t len, size_t i)
{
    size_t adv, end = skip_letter(s, len, i), letters = 1;
    size_t first_end = end;

    for (;;) {
        if (class_at(s, len, end, &adv) != C_DOT)
            break;
        size_t next = end + adv;
        if (class_at(s, len, next, &adv) != C_LET)
            break;
        size_t after = skip_letter(s, len, next);
        if (word_goes_on(s, len, after))
            break;
        if (letters == 1)
            raw_put(an, s + i, first_end - i);
        raw_put(an, s + next, after - next);
        letters++;
        end = after;
    }
    if (letters < 2)
        return 0;
    /* A possessive after the final dot belongs to it: the U.S.'s role. */
    size_t p = end;
    if (class_at(s, len, p, &adv) == C_DOT)
        p += adv;
    if (class_at(s, len, p, &adv) == C_APOS && p + adv < len &&
        (s[p + adv] == 's' || s[p + adv] == 'S') && !word_goes_on(s, len, p + adv + 1))
        end = p + adv + 1;
    return end;
}

/* False when the letter at i cannot start a dotted acronym, decided
 * cheaply: an ASCII letter followed by an ASCII character other than '.',
 * or by the end (an ASCII character is never a combining mark, so the dot
 * would have to come next). scan_acronym() decides the rest. */
static inline bool may_be_acronym(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] >= 0x80)
        return true;
    return i + 1 < len && (s[i + 1] >= 0x80 || s[i + 1] == '.');
}

/* n digits in a row at i, then no digit. */
static bool digit_group_at(const unsigned char *s, size_t len, size_t i, int n)
{
    size_t adv;
    for (int k = 0; k < n; k++) {
        if (class_at(s, len, i, &adv) != C_DIG)
            return false;
        i += adv;
    }
    return class_at(s, len, i, &adv) != C_DIG;
}

/* Scans the word starting at i (a letter, digit or mark) into an->raw and
 * returns its end. */
static size_t scan_word(mg_analyzer *an, const unsigned char *s, size_t len, size_t i)
{
    bool last_digit = false;
    size_t adv, adv2;

    for (;;) {
        /* A run of ASCII letters and digits, the bulk of most text: what the
         * general case below does for them, without decoding or dispatch. */
        while (i < len && s[i] < 0x80) {
            int a = ascii_class[s[i]];
            if (a == C_LET) {
                last_digit = false;
            } else if (a == C_DIG) {
                last_digit = true;
                an->raw_digit = true;
            } else {
                break;
            }
            if (an->raw_full || an->raw_len >= RAW_CAP)
                an->raw_full = true;
            else
                an->raw[an->raw_len++] = (char)s[i];
            i++;
        }
        int c = class_at(s, len, i, &adv);
        switch (c) {
        case C_LET:
            last_digit = false;
            break;
        case C_DIG:
            last_digit = true;
            an->raw_digit = true;
            break;
        case C_MARK:
        case C_IGN:
            break;
        case C_APOS: {
            int n = class_at(s, len, i + adv, &adv2);
            if (n != C_LET && n != C_DIG)
                return i;
            raw_put(an, (const unsigned char *)"'", 1);
            i += adv;
            continue;
        }
        case C_DOT:
            if (!last_digit || class_at(s, len, i + adv, &adv2) != C_DIG)
                return i;
            raw_put(an, (const unsigned char *)".", 1);
            i += adv;
            continue;
        case C_COMMA: /* 1,000 is 1000; 1,5 and 1,0000 are two numbers */
            if (!last_digit || !digit_group_at(s, len, i + adv, 3))
                return i;
            i += adv;
            continue;
        default:
            return i;
        }
        raw_put(an, s + i, adv);
        i += adv;
    }
}

static long run(scan *sc, const char *text, size_t len)
{
    mg_analyzer *an = sc->an;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, adv;

    while (i < len) {
        int c;
        if (s[i] < 0x80) {
            c = ascii_class[s[i]];
            adv = 1;
        } else {
            c = class_at(s, len, i, &adv);
        }
        if (c == C_SEP || c == C_APOS || c == C_DOT || c == C_COMMA || c == C_IGN) {
            i += adv;
            continue;
        }
        size_t start = i, end;
        long r;
        if ((c == C_LET || c == C_DIG) && s[i] < 0x80 && !(sc->flags & MG_AN_GENERAL) &&
            ascii_word(sc, s, len, i, &end, &r)) {
            if (r != 0)
                return r;
            i = end;
            continue;
        }
        an->raw_len = 0;
        an->raw_ascii = true;
        an->raw_digit = false;
        an->raw_full = false;
        if (c == C_CJK) {
            raw_put(an, s + i, adv);
            end = i + adv;
            while (class_at(s, len, end, &adv) == C_MARK) {
                raw_put(an, s + end, adv);
                end += adv;
            }
        } else if (c == C_LET && may_be_acronym(s, len, i) &&
                   (end = scan_acronym(an, s, len, i)) != 0) {
            /* the letters are in an->raw */
        } else {
            an->raw_len = 0;
            an->raw_ascii = true;
            an->raw_full = false;
            end = scan_word(an, s, len, i);
        }
        r = emit(sc, start, end);
        if (r != 0)
            return r;
        i = end;
    }
    return sc->count;
}

long mg_analyze(mg_analyzer *an, const char *text, size_t len, unsigned pos_base, int flags,
                mg_token_fn fn, void *ctx, mg_err *err)
{
    mg_err_clear(err);
    if (!an || (!text && len))
        return mg_err_set(err, MG_EINVAL, "mg_analyze: no analyser or text");
    scan sc = {.an = an, .flags = flags, .pos = pos_base, .fn = fn, .ctx = ctx, .err = err};
    return run(&sc, text, len);
}

typedef struct first_word {
    char *out;
    size_t cap;
    size_t len;
    bool found;
} first_word;

static int take_first(void *ctx, const mg_token *tok)
{
    first_word *fw = ctx;
    size_t n = mg_utf8_clip(tok->term, tok->term_len, fw->cap - 1);
    memcpy(fw->out, tok->term, n);
    fw->out[n] = '\0';
    fw->len = n;
    fw->found = true;
    return 1;
}

long mg_analyze_word(mg_analyzer *an, const char *word, size_t len, int flags, char *out,
                     size_t cap, mg_err *err)
{
    mg_err_clear(err);
    if (!an || !out || cap == 0 || (!word && len))
        return mg_err_set(err, MG_EINVAL, "mg_analyze_word: bad argument");
    first_word fw = {.out = out, .cap = cap};
    scan sc = {.an = an, .flags = flags, .fn = take_first, .ctx = &fw, .err = err};
    out[0] = '\0';
    long r = run(&sc, word, len);
    if (r < 0)
        return r;
    return fw.found ? (long)fw.len : 0;
}

/* mg_fold_phrase() of ASCII text (no NUL): what the general path does to it
 * (control characters and spaces are white space, capitals fold to small
 * letters, nothing else changes), without decoding or allocating. Returns
 * -1 when the text holds another byte. */
static long fold_phrase_ascii(const char *text, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    bool space = false;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0 || c >= 0x80)
            return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= ' ' || c == 0x7f) {
            space = o > 0;
            continue;
        }
        if (o + 1 + space >= cap)
            break;
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    out[o] = '\0';
    return (long)o;
}

long mg_fold_phrase(const char *text, size_t len, char *out, size_t cap, mg_err *err)
{
    char *valid = NULL;
    size_t vlen = 0;
    utf8proc_int32_t *buf = NULL;

    mg_err_clear(err);
    if (!out || cap == 0 || (!text && len))
        return mg_err_set(err, MG_EINVAL, "mg_fold_phrase: bad argument");
    out[0] = '\0';
    if (len == 0)
        return 0;
    long fast = fold_phrase_ascii(text, len, out, cap);
    if (fast >= 0)
        return fast;
    if (mg_utf8_repair(text, len, &valid, &vlen) < 0)
        return mg_err_set(err, MG_ENOMEM, "fold: out of memory");
    utf8proc_ssize_t need = utf8proc_decompose((const utf8proc_uint8_t *)valid,
                                               (utf8proc_ssize_t)vlen, NULL, 0, DECOMP_OPTS);
    if (need < 0) {
        free(valid);
        return mg_err_set(err, MG_EINTERNAL, "fold: %s", utf8proc_errmsg(need));
    }
    buf = malloc(((size_t)need + 1) * sizeof *buf);
    if (!buf) {
        free(valid);
        return mg_err_set(err, MG_ENOMEM, "fold: out of memory");
    }
    need = utf8proc_decompose((const utf8proc_uint8_t *)valid, (utf8proc_ssize_t)vlen, buf, need,
                              DECOMP_OPTS);
    free(valid);
    long bytes = need < 0 ? need : fold_decomposed(buf, need, true);
    if (bytes < 0) {
        free(buf);
        return mg_err_set(err, MG_EINTERNAL, "fold: %s", utf8proc_errmsg(bytes));
    }
    /* Collapse white space, trim, and cut at a character boundary. */
    const unsigned char *f = (const unsigned char *)buf;
    size_t o = 0, i = 0;
    bool space = false;
    while (i < (size_t)bytes) {
        if (f[i] == ' ') {
            space = o > 0;
            i++;
            continue;
        }
        size_t cl = f[i] < 0x80 ? 1 : f[i] < 0xE0 ? 2 : f[i] < 0xF0 ? 3 : 4;
        if (o + cl + space >= cap || i + cl > (size_t)bytes)
            break;
        if (space)
            out[o++] = ' ';
        space = false;
        memcpy(out + o, f + i, cl);
        o += cl;
        i += cl;
    }
    out[o] = '\0';
    free(buf);
    return (long)o;
}

static const char *languages[64];
static pthread_once_t languages_once = PTHREAD_ONCE_INIT;

static void languages_init(void)
{
    const char **l = sb_stemmer_list();
    size_t n = 0;
    for (; l && *l && n < sizeof languages / sizeof languages[0] - 2; l++)
        languages[n++] = *l;
    languages[n++] = "none";
    languages[n] = NULL;
}

const char *const *mg_analyzer_languages(void)
{
    pthread_once(&languages_once, languages_init);
    return languages;
}

static mg_analyzer *unknown_language(const char *lang, mg_err *err)
{
    char list[512];
    size_t o = 0;
    const char *const *l = mg_analyzer_languages();
    for (; *l; l++) {
        int w = snprintf(list + o, sizeof list - o, "%s%s", o ? " " : "", *l);
        if (w < 0 || (size_t)w >= sizeof list - o)
            break;
        o += (size_t)w;
    }
    /* The message buffer is 256 bytes: say as much as fits with the whole
     * list, which matters most. */
    char msg[128];
    snprintf(msg, sizeof msg, "unknown language \"%.40s\"; valid: ", lang);
    if (strlen(msg) + o >= sizeof err->msg)
        snprintf(msg, sizeof msg, "unknown language; valid: ");
    if (strlen(msg) + o >= sizeof err->msg)
        snprintf(msg, sizeof msg, "valid languages: ");
    mg_err_set(err, MG_EINVAL, "%s%s", msg, list);
    return NULL;
}

mg_analyzer *mg_analyzer_new(const char *lang, mg_err *err)
{
    char name[32];
    size_t n;

    mg_err_clear(err);
    if (!lang)
        lang = "english";
    n = strlen(lang);
    if (n == 0 || n >= sizeof name)
        return unknown_language(lang, err);
    /* libstemmer's names are lower case; accept "English" too. */
    for (size_t i = 0; i <= n; i++)
        name[i] = (lang[i] >= 'A' && lang[i] <= 'Z') ? (char)(lang[i] + 32) : lang[i];

    mg_analyzer *an = malloc(sizeof *an);
    if (!an) {
        mg_err_set(err, MG_ENOMEM, "analyser: out of memory");
        return NULL;
    }
    an->stemmer = NULL;
    an->cache = NULL;
    memcpy(an->lang, name, n + 1);
    if (strcmp(name, "none") != 0) {
        an->stemmer = sb_stemmer_new(name, "UTF_8");
        if (!an->stemmer) {
            free(an);
            return unknown_language(lang, err);
        }
        an->cache = calloc(STEM_SLOTS, sizeof *an->cache);
        if (!an->cache) {
            mg_analyzer_free(an);
            mg_err_set(err, MG_ENOMEM, "analyser: out of memory");
            return NULL;
        }
    }
    return an;
}

void mg_analyzer_free(mg_analyzer *an)
{
    if (!an)
        return;
    sb_stemmer_delete(an->stemmer);
    free(an->cache);
    free(an);
}

const char *mg_analyzer_lang(const mg_analyzer *an)
{
    return an->lang;
}
