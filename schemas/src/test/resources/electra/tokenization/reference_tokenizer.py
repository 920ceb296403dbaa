#!/usr/bin/env python3
"""Ground truth for the Java tokenizer tests: BERT's tokenization rules as written in electra-spec.md section 5,
in plain Python 3 with the interpreter's own unicodedata (its Unicode version is what the Java side must match).

  reference_tokenizer.py tokenize VOCAB LOWER MAX   stdin: JSON list of texts; stdout: JSON list of token lists
  reference_tokenizer.py chars OUT_DIR              per code point: classes (flags.bin), case/accent mappings (case.tsv)
  reference_tokenizer.py decode                     stdin: hex byte strings, one a line; stdout: JSON list of
                                                    their UTF-8 decodings with invalid bytes ignored
  reference_tokenizer.py version                    the Unicode version of unicodedata
"""
import json
import sys
import unicodedata

CJK_BLOCKS = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]
ASCII_PUNCTUATION = set(range(33, 48)) | set(range(58, 65)) | set(range(91, 97)) | set(range(123, 127))


def whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def punctuation(ch):
    return ord(ch) in ASCII_PUNCTUATION or unicodedata.category(ch).startswith("P")


def cjk(ch):
    return any(low <= ord(ch) <= high for low, high in CJK_BLOCKS)


def strip_accents(text):
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def basic_tokens(text, lower):
    cleaned = ""
    for ch in text:
        if ch in "\x00\ufffd" or control(ch):
            continue
        ch = " " if whitespace(ch) else ch
        cleaned += f" {ch} " if cjk(ch) else ch
    pieces = []
    for word in cleaned.split():
        if lower:
            word = strip_accents(word.lower())
        current = ""
        for ch in word:
            if punctuation(ch):
                pieces += [current, ch]
                current = ""
            else:
                current += ch
        pieces.append(current)
    return " ".join(pieces).split()


def word_pieces(word, vocab, max_chars):
    if len(word) > max_chars:
        return ["[UNK]"]
    found, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                found.append(piece)
                start = end
                break
        else:
            return ["[UNK]"]
    return found


def load_vocab(path):
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()
    return {line.strip(): index for index, line in enumerate(lines)}


def tokenize(vocab_path, lower, max_chars):
    vocab = load_vocab(vocab_path)
    texts = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    result = [[p for word in basic_tokens(t, lower) for p in word_pieces(word, vocab, max_chars)] for t in texts]
    sys.stdout.write(json.dumps(result))


def code_points(text):
    return " ".join(f"{ord(ch):X}" for ch in text)


def chars(out_dir):
    flags = bytearray(0x110000)
    with open(f"{out_dir}/case.tsv", "w", encoding="ascii") as case:
        for cp in range(0x110000):
            ch = chr(cp)
            flags[cp] = (whitespace(ch) | control(ch) << 1 | punctuation(ch) << 2 | cjk(ch) << 3
                         | ch.isspace() << 4)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            lowered = ch.lower()
            row = (lowered, strip_accents(lowered), strip_accents(ch))
            if any(r != ch for r in row):
                case.write(f"{cp:X}\t" + "\t".join(code_points(r) for r in row) + "\n")
    with open(f"{out_dir}/flags.bin", "wb") as f:
        f.write(flags)


def decode():
    lines = sys.stdin.read().split()
    sys.stdout.write(json.dumps([bytes.fromhex(h).decode("utf-8", "ignore") for h in lines]))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "tokenize":
        tokenize(sys.argv[2], sys.argv[3] == "true", int(sys.argv[4]))
    elif command == "chars":
        chars(sys.argv[2])
    elif command == "decode":
        decode()
    elif command == "version":
        print(unicodedata.unidata_version)
    else:
        sys.exit(f"unknown command {command}")
