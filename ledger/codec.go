package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt marks a stored record that cannot be decoded. Verify and the
// readers wrap it with the record that failed.
var ErrCorrupt = errors.New("ledger: corrupt record")

// encoder writes the ledger's compact binary records: fixed-width big-endian
// integers and uvarint-length-prefixed byte strings. The layout is versioned by
// a leading format byte in every record type, so it can evolve.
type encoder struct {
	buf []byte
}

func (e *encoder) u8(v byte) { e.buf = append(e.buf, v) }

func (e *encoder) u32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

func (e *encoder) u64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

func (e *encoder) boolean(v bool) {
	if v {
		e.u8(1)
		return
	}
	e.u8(0)
}

func (e *encoder) bytes(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}

func (e *encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// decoder reads what encoder wrote. The first failure sticks: later reads
// return zero values and finish reports the error. Decoded byte strings are
// copies, so they outlive the store transaction they were read in.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", ErrCorrupt, what)
	}
}

func (d *decoder) u8() byte {
	if d.err != nil || len(d.buf) < 1 {
		d.fail("byte")
		return 0
	}
	v := d.buf[0]
	d.buf = d.buf[1:]
	return v
}

func (d *decoder) u32() uint32 {
	if d.err != nil || len(d.buf) < 4 {
		d.fail("uint32")
		return 0
	}
	v := binary.BigEndian.Uint32(d.buf)
	d.buf = d.buf[4:]
	return v
}

func (d *decoder) u64() uint64 {
	if d.err != nil || len(d.buf) < 8 {
		d.fail("uint64")
		return 0
	}
	v := binary.BigEndian.Uint64(d.buf)
	d.buf = d.buf[8:]
	return v
}

func (d *decoder) boolean() bool {
	switch d.u8() {
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

func (d *decoder) raw() []byte {
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

// bytes returns a copy of the next byte string; an empty string decodes as nil.
func (d *decoder) bytes() []byte {
	b := d.raw()
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func (d *decoder) str() string { return string(d.raw()) }

// count reads a length that prefixes a list, refusing lengths that the
// remaining input cannot possibly hold (each element takes at least min bytes).
func (d *decoder) count(min int) int {
	n := d.u32()
	if d.err == nil && uint64(n)*uint64(min) > uint64(len(d.buf)) {
		d.fail("list")
		return 0
	}
	return int(n)
}

func (d *decoder) finish() error {
	if d.err != nil {
		return d.err
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.buf))
	}
	return nil
}
