// Package codec is the compact binary encoding of the embedded ledger's
// records: fixed-width big-endian integers and uvarint-length-prefixed byte
// strings. Every record type starts with a format byte of its own, so the
// layout can evolve; the record types themselves live in package block
// (blocks, transactions, the chain configuration) and package ledger (state).
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt marks a stored record that cannot be decoded. The decoders wrap
// it with what failed.
var ErrCorrupt = errors.New("ledger: corrupt record")

// Encoder appends a record's fields to a buffer. The zero value is an empty
// encoder, ready to use.
type Encoder struct {
	buf []byte
}

// Grow makes room for n more bytes, so that encoding a record of a known
// size allocates once.
func (e *Encoder) Grow(n int) {
	if cap(e.buf)-len(e.buf) < n {
		e.buf = append(make([]byte, 0, len(e.buf)+n), e.buf...)
	}
}

// Encoded returns the bytes written so far.
func (e *Encoder) Encoded() []byte { return e.buf }

// U8 writes a byte.
func (e *Encoder) U8(v byte) { e.buf = append(e.buf, v) }

// U32 writes a big-endian uint32.
func (e *Encoder) U32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

// U64 writes a big-endian uint64.
func (e *Encoder) U64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

// Bool writes a boolean as one byte, 0 or 1.
func (e *Encoder) Bool(v bool) {
	if v {
		e.U8(1)
		return
	}
	e.U8(0)
}

// Bytes writes a byte string, prefixed by its length as a uvarint.
func (e *Encoder) Bytes(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// Str writes a string as Bytes writes a byte string.
func (e *Encoder) Str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Decoder reads what Encoder wrote. The first failure sticks: later reads
// return zero values, and Err and Finish report it. Byte strings from Bytes
// are copies, so they outlive the buffer (a store transaction's pages).
type Decoder struct {
	buf []byte
	err error
}

// NewDecoder returns a decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first failure so far, or nil.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", ErrCorrupt, what)
	}
}

// U8 reads a byte.
func (d *Decoder) U8() byte {
	if d.err != nil || len(d.buf) < 1 {
		d.fail("byte")
		return 0
	}
	v := d.buf[0]
	d.buf = d.buf[1:]
	return v
}

// U32 reads a big-endian uint32.
func (d *Decoder) U32() uint32 {
	if d.err != nil || len(d.buf) < 4 {
		d.fail("uint32")
		return 0
	}
	v := binary.BigEndian.Uint32(d.buf)
	d.buf = d.buf[4:]
	return v
}

// U64 reads a big-endian uint64.
func (d *Decoder) U64() uint64 {
	if d.err != nil || len(d.buf) < 8 {
		d.fail("uint64")
		return 0
	}
	v := binary.BigEndian.Uint64(d.buf)
	d.buf = d.buf[8:]
	return v
}

// Bool reads a boolean; a byte other than 0 or 1 is a failure.
func (d *Decoder) Bool() bool {
	switch d.U8() {
	case 0:
		return false
	case 1:
		return true
	default:
		if d.err == nil {
			d.err = fmt.Errorf("%w: boolean out of range", ErrCorrupt)
		}
		return false
	}
}

// Raw reads a length-prefixed byte string without copying it: the result
// aliases the decoder's input.
func (d *Decoder) Raw() []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.buf)
	if k <= 0 || n > uint64(len(d.buf)-k) {
		d.fail("byte string")
		return nil
	}
	b := d.buf[k : k+int(n)]
	d.buf = d.buf[k+int(n):]
	return b
}

// Bytes returns a copy of the next byte string; an empty string decodes as nil.
func (d *Decoder) Bytes() []byte {
	b := d.Raw()
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// Str reads a string.
func (d *Decoder) Str() string { return string(d.Raw()) }

// Count reads a length that prefixes a list, refusing lengths that the
// remaining input cannot possibly hold (each element takes at least min bytes).
func (d *Decoder) Count(min int) int {
	n := d.U32()
	if d.err == nil && uint64(n)*uint64(min) > uint64(len(d.buf)) {
		d.fail("list")
		return 0
	}
	return int(n)
}

// Finish returns the first failure, or an error if input is left over.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.buf))
	}
	return nil
}
