package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
	"sort"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Key-space markers of the Fabric shim: composite keys start with U+0000, an
// empty range start means U+0001 (so simple-key ranges skip composite keys),
// and a partial composite key's range ends at U+10FFFF.
const (
	compositeKeyNamespace = "\x00"
	emptyKeySubstitute    = "\x01"
	maxUnicodeRune        = string(utf8.MaxRune)
)

var _ shim.ChaincodeStubInterface = (*simulation)(nil)

// simulation is the embedded ledger's shim.ChaincodeStubInterface: it runs
// one proposal against a consistent snapshot of committed state and collects
// the read/write set, as a Fabric peer's transaction simulator does. Like
// Fabric, reads see committed state only, never the transaction's own writes.
type simulation struct {
	rtx        *bolt.Tx
	ns         string
	txID       string
	channelID  string
	args       [][]byte
	creator    []byte
	transient  map[string][]byte
	binding    []byte
	timestamp  *timestamppb.Timestamp
	queryLimit int

	reads      map[string]*Version
	ranges     []*rangeTracker
	writes     map[string]KVWrite
	metaWrites map[string]MetadataWrite
	event      *Event

	batching  bool
	batch     []func() error
	wrote     bool
	paginated bool
	finished  bool
}

var errFinished = errors.New("ledger: the transaction's simulation has ended; the stub cannot be used any more")

// rwset returns the collected read/write set in Fabric's canonical order.
func (s *simulation) rwset() RWSet {
	var rw RWSet
	for k, v := range s.reads {
		rw.Reads = append(rw.Reads, KVRead{Key: k, Version: v})
	}
	sort.Slice(rw.Reads, func(i, j int) bool { return rw.Reads[i].Key < rw.Reads[j].Key })
	for _, r := range s.ranges {
		if q, ok := r.query(); ok {
			rw.RangeQueries = append(rw.RangeQueries, q)
		}
	}
	for _, w := range s.writes {
		rw.Writes = append(rw.Writes, w)
	}
	sort.Slice(rw.Writes, func(i, j int) bool { return rw.Writes[i].Key < rw.Writes[j].Key })
	for _, m := range s.metaWrites {
		rw.MetadataWrites = append(rw.MetadataWrites, m)
	}
	sort.Slice(rw.MetadataWrites, func(i, j int) bool { return rw.MetadataWrites[i].Key < rw.MetadataWrites[j].Key })
	return rw
}

// ---- arguments and proposal data ----

func (s *simulation) GetArgs() [][]byte { return s.args }

func (s *simulation) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

func (s *simulation) GetFunctionAndParameters() (string, []string) {
	args := s.GetStringArgs()
	if len(args) == 0 {
		return "", []string{}
	}
	return args[0], args[1:]
}

func (s *simulation) GetArgsSlice() ([]byte, error) { return bytes.Join(s.args, nil), nil }

func (s *simulation) GetTxID() string { return s.txID }

func (s *simulation) GetChannelID() string { return s.channelID }

func (s *simulation) GetCreator() ([]byte, error) { return s.creator, nil }

func (s *simulation) GetTransient() (map[string][]byte, error) { return s.transient, nil }

func (s *simulation) GetBinding() ([]byte, error) { return s.binding, nil }

// GetDecorations returns the proposal's decorations; the embedded ledger runs
// no decorators, so there are none.
func (s *simulation) GetDecorations() map[string][]byte { return map[string][]byte{} }

func (s *simulation) GetSignedProposal() (*peer.SignedProposal, error) {
	return nil, &UnsupportedError{Call: "GetSignedProposal", Reason: "proposals are not signed by the in-process caller"}
}

func (s *simulation) GetTxTimestamp() (*timestamppb.Timestamp, error) { return s.timestamp, nil }

func (s *simulation) SetEvent(name string, payload []byte) error {
	if s.finished {
		return errFinished
	}
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.event = &Event{Name: name, Payload: bytes.Clone(payload)}
	return nil
}

func (s *simulation) InvokeChaincode(chaincodeName string, _ [][]byte, _ string) *peer.Response {
	err := &UnsupportedError{Call: "InvokeChaincode", Reason: fmt.Sprintf("chaincode-to-chaincode calls (to %q) are not available", chaincodeName)}
	return &peer.Response{Status: shim.ERROR, Message: err.Error()}
}

// ---- reads ----

func (s *simulation) recordRead(key string, e *stateEntry) {
	if _, seen := s.reads[key]; seen {
		return
	}
	if e == nil {
		s.reads[key] = nil
		return
	}
	v := e.Version
	s.reads[key] = &v
}

func (s *simulation) GetState(key string) ([]byte, error) {
	if s.finished {
		return nil, errFinished
	}
	e, err := readState(s.rtx, s.ns, key)
	if err != nil {
		return nil, err
	}
	s.recordRead(key, e)
	if e == nil {
		return nil, nil
	}
	return e.Value, nil
}

func (s *simulation) GetMultipleStates(keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.GetState(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *simulation) GetStateValidationParameter(key string) ([]byte, error) {
	if s.finished {
		return nil, errFinished
	}
	e, err := readState(s.rtx, s.ns, key)
	if err != nil {
		return nil, err
	}
	s.recordRead(key, e)
	if e == nil {
		return nil, nil
	}
	return e.ValidationParameter, nil
}

// ---- writes ----

// write runs a write now, or at FinishWriteBatch inside a write batch (where
// the Fabric shim defers it to one message to the peer).
func (s *simulation) write(op func() error) error {
	if s.finished {
		return errFinished
	}
	if s.batching {
		s.batch = append(s.batch, op)
		return nil
	}
	return op()
}

func (s *simulation) checkWrite(key string) error {
	if s.paginated {
		return fmt.Errorf("txid [%s]: unsupported transaction: a transaction that ran a paginated query must not write (paginated queries are read-only, as in Fabric)", s.txID)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("invalid key [%x]: must be a valid UTF-8 string", key)
	}
	if len(key) > MaxKeyLength {
		return fmt.Errorf("invalid key of %d bytes: longer than %d bytes", len(key), MaxKeyLength)
	}
	return nil
}

// MaxKeyLength is the longest key chaincode may write: the store's key limit
// less the room its history index needs.
const MaxKeyLength = bolt.MaxKeySize - 32

func (s *simulation) PutState(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	value = bytes.Clone(value)
	return s.write(func() error {
		if err := s.checkWrite(key); err != nil {
			return err
		}
		// As in Fabric, writing an empty value deletes the key.
		s.writes[key] = KVWrite{Key: key, IsDelete: len(value) == 0, Value: value}
		s.wrote = true
		return nil
	})
}

func (s *simulation) DelState(key string) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	return s.write(func() error {
		if err := s.checkWrite(key); err != nil {
			return err
		}
		s.writes[key] = KVWrite{Key: key, IsDelete: true}
		s.wrote = true
		return nil
	})
}

// SetStateValidationParameter sets the key-level endorsement policy of a key.
// The embedded ledger stores and returns it; it has one node and so no
// endorsement to check it against (Fabric peers enforce it).
func (s *simulation) SetStateValidationParameter(key string, ep []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	ep = bytes.Clone(ep)
	return s.write(func() error {
		if err := s.checkWrite(key); err != nil {
			return err
		}
		s.metaWrites[key] = MetadataWrite{Key: key, ValidationParameter: ep}
		s.wrote = true
		return nil
	})
}

func (s *simulation) StartWriteBatch() {
	if !s.finished {
		s.batching = true
	}
}

func (s *simulation) FinishWriteBatch() error {
	if s.finished {
		return errFinished
	}
	ops := s.batch
	s.batch, s.batching = nil, false
	for _, op := range ops {
		if err := op(); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
	}
	return nil
}

// ---- range queries ----

func validateSimpleKeys(keys ...string) error {
	for _, k := range keys {
		if len(k) > 0 && k[0] == compositeKeyNamespace[0] {
			return fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return nil
}

// simpleRange applies the shim's rules for a range of simple keys: an empty
// start means U+0001, and neither bound may lie in the composite-key space.
func simpleRange(startKey, endKey string) (string, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	return startKey, validateSimpleKeys(startKey, endKey)
}

func (s *simulation) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	startKey, err := simpleRange(startKey, endKey)
	if err != nil {
		return nil, err
	}
	return s.rangeIterator(startKey, endKey)
}

func (s *simulation) GetStateByPartialCompositeKey(objectType string, attributes []string) (shim.StateQueryIteratorInterface, error) {
	start, err := shim.CreateCompositeKey(objectType, attributes)
	if err != nil {
		return nil, err
	}
	return s.rangeIterator(start, start+maxUnicodeRune)
}

func (s *simulation) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	startKey, err := simpleRange(startKey, endKey)
	if err != nil {
		return nil, nil, err
	}
	return s.page(startKey, endKey, pageSize, bookmark)
}

func (s *simulation) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.page(start, start+maxUnicodeRune, pageSize, bookmark)
}

func (s *simulation) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.page(compositeKeyNamespace, compositeKeyNamespace+maxUnicodeRune, pageSize, bookmark)
}

func (s *simulation) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *simulation) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if len(compositeKey) < 2 || compositeKey[0] != compositeKeyNamespace[0] || compositeKey[len(compositeKey)-1] != 0 {
		return "", nil, fmt.Errorf("invalid composite key %q: want U+0000, object type and attributes each ended by U+0000", compositeKey)
	}
	var parts []string
	start := 1
	for i := 1; i < len(compositeKey); i++ {
		if compositeKey[i] == 0 {
			parts = append(parts, compositeKey[start:i])
			start = i + 1
		}
	}
	return parts[0], parts[1:], nil
}

// rangeIterator starts a lazy iteration of [start, end) (end "" means the end
// of the namespace), capped at the total query limit like a Fabric peer.
func (s *simulation) rangeIterator(start, end string) (*stateIterator, error) {
	if s.finished {
		return nil, errFinished
	}
	t := newRangeTracker(start, end)
	s.ranges = append(s.ranges, t)
	it := &stateIterator{sim: s, end: end, limit: s.queryLimit, tracker: t}
	if b := nsBucket(s.rtx, bucketState, s.ns); b != nil {
		it.cursor = b.Cursor()
		it.k, it.v = it.cursor.Seek([]byte(start))
	}
	return it, nil
}

// page answers a paginated query at once, with Fabric's LevelDB semantics: a
// page of at most pageSize results (pageSize ≤ 0 means the total query limit),
// starting at the bookmark if one is given (Fabric does not check that it
// lies in the range; chaincode that takes bookmarks from callers must), and
// as the next bookmark the first key after the page, or "" when the range is
// exhausted. Paginated queries are only allowed in read-only transactions.
func (s *simulation) page(start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if s.finished {
		return nil, nil, errFinished
	}
	if s.wrote || s.batching && len(s.batch) > 0 {
		return nil, nil, fmt.Errorf("txid [%s]: unsupported transaction: paginated queries are supported only in a read-only transaction", s.txID)
	}
	if bookmark != "" {
		// As a Fabric peer does: the bookmark is the new start, unchecked.
		start = bookmark
	}
	limit := s.queryLimit
	if pageSize > 0 && int(pageSize) < limit {
		limit = int(pageSize)
	}
	s.paginated = true
	it, err := s.rangeIterator(start, end)
	if err != nil {
		return nil, nil, err
	}
	it.limit = limit
	var results []*queryresult.KV
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, nil, err
		}
		results = append(results, kv)
	}
	next := ""
	if it.inRange() {
		next = string(it.k)
		// The caller saw that more follows: the range was not exhausted.
	}
	if err := it.Close(); err != nil {
		return nil, nil, err
	}
	return &sliceIterator{results: results}, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(results)), Bookmark: next}, nil
}

func (s *simulation) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, &UnsupportedError{Call: "GetQueryResult", Reason: "rich queries need CouchDB; state is kept like LevelDB: use composite-key indexes"}
}

func (s *simulation) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, &UnsupportedError{Call: "GetQueryResultWithPagination", Reason: "rich queries need CouchDB; state is kept like LevelDB: use composite-key indexes"}
}

// ---- history ----

// GetHistoryForKey returns the committed modifications of a key, newest
// first. Like Fabric, it is not re-checked at validation.
func (s *simulation) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	if s.finished {
		return nil, errFinished
	}
	it := &historyIterator{sim: s, key: key, prefix: histPrefix(key)}
	b := nsBucket(s.rtx, bucketHistory, s.ns)
	if b == nil {
		return it, nil
	}
	it.cursor = b.Cursor()
	last := histKey(key, Version{BlockNum: math.MaxUint64, TxNum: math.MaxUint32})
	k, v := it.cursor.Seek(last)
	switch {
	case k == nil:
		k, v = it.cursor.Last()
	case !bytes.Equal(k, last):
		k, v = it.cursor.Prev()
	}
	it.k, it.v = k, v
	it.skip()
	return it, nil
}

// ---- private data: not supported ----

const privateDataReason = "private data collections are not available; keep confidential data off-chain and store its hash"

func (s *simulation) GetPrivateData(string, string) ([]byte, error) {
	return nil, &UnsupportedError{Call: "GetPrivateData", Reason: privateDataReason}
}

func (s *simulation) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, &UnsupportedError{Call: "GetMultiplePrivateData", Reason: privateDataReason}
}

func (s *simulation) GetPrivateDataHash(string, string) ([]byte, error) {
	return nil, &UnsupportedError{Call: "GetPrivateDataHash", Reason: privateDataReason}
}

func (s *simulation) PutPrivateData(string, string, []byte) error {
	return &UnsupportedError{Call: "PutPrivateData", Reason: privateDataReason}
}

func (s *simulation) DelPrivateData(string, string) error {
	return &UnsupportedError{Call: "DelPrivateData", Reason: privateDataReason}
}

func (s *simulation) PurgePrivateData(string, string) error {
	return &UnsupportedError{Call: "PurgePrivateData", Reason: privateDataReason}
}

func (s *simulation) SetPrivateDataValidationParameter(string, string, []byte) error {
	return &UnsupportedError{Call: "SetPrivateDataValidationParameter", Reason: privateDataReason}
}

func (s *simulation) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, &UnsupportedError{Call: "GetPrivateDataValidationParameter", Reason: privateDataReason}
}

func (s *simulation) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, &UnsupportedError{Call: "GetPrivateDataByRange", Reason: privateDataReason}
}

func (s *simulation) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, &UnsupportedError{Call: "GetPrivateDataByPartialCompositeKey", Reason: privateDataReason}
}

func (s *simulation) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, &UnsupportedError{Call: "GetPrivateDataQueryResult", Reason: privateDataReason}
}

// ---- iterators ----

// rangeTracker follows what a range iteration returned, so the committer can
// detect phantom reads: keys inserted, deleted or changed in the range since.
type rangeTracker struct {
	start, end string
	last       string
	count      int
	exhausted  bool
	h          rangeHash
}

func newRangeTracker(start, end string) *rangeTracker {
	return &rangeTracker{start: start, end: end, h: newRangeHash()}
}

func (t *rangeTracker) add(key string, v Version) {
	t.h.add(key, v)
	t.last = key
	t.count++
}

// query returns the range to re-check at validation; a range from which
// nothing was consumed and that was not read to its end constrains nothing.
func (t *rangeTracker) query() (RangeQuery, bool) {
	if t.exhausted {
		return RangeQuery{StartKey: t.start, EndKey: t.end, Exhausted: true, ResultsHash: t.h.sum()}, true
	}
	if t.count == 0 {
		return RangeQuery{}, false
	}
	return RangeQuery{StartKey: t.start, EndKey: t.last, ResultsHash: t.h.sum()}, true
}

// rangeHash hashes the keys and versions a range returned, in order.
type rangeHash struct {
	h   hash.Hash
	buf []byte
}

func newRangeHash() rangeHash { return rangeHash{h: sha256.New()} }

func (r *rangeHash) add(key string, v Version) {
	r.buf = binary.AppendUvarint(r.buf[:0], uint64(len(key)))
	r.buf = append(r.buf, key...)
	r.buf = binary.BigEndian.AppendUint64(r.buf, v.BlockNum)
	r.buf = binary.BigEndian.AppendUint32(r.buf, v.TxNum)
	r.h.Write(r.buf)
}

func (r *rangeHash) sum() []byte { return r.h.Sum(nil) }

type stateIterator struct {
	sim      *simulation
	cursor   *bolt.Cursor
	k, v     []byte
	end      string
	limit    int
	returned int
	tracker  *rangeTracker
	tracked  bool // the current key is already in the tracker
	closed   bool
}

func (it *stateIterator) inRange() bool {
	return it.k != nil && (it.end == "" || string(it.k) < it.end)
}

// HasNext reports whether Next has a result. Like a Fabric peer, which has
// already fetched the next result when the shim asks, it records the key it
// peeked at for phantom-read detection: chaincode that only asks whether a
// range is empty depends on it.
func (it *stateIterator) HasNext() bool {
	if it.closed || it.sim.finished || it.returned >= it.limit {
		return false
	}
	if !it.inRange() {
		it.tracker.exhausted = true
		return false
	}
	if err := it.track(); err != nil {
		return true // Next reports the error
	}
	return true
}

func (it *stateIterator) track() error {
	if it.tracked {
		return nil
	}
	ver, err := decodeStateVersion(it.v)
	if err != nil {
		return fmt.Errorf("state %s/%q: %w", it.sim.ns, it.k, err)
	}
	it.tracker.add(string(it.k), ver)
	it.tracked = true
	return nil
}

func (it *stateIterator) Next() (*queryresult.KV, error) {
	if it.sim.finished {
		return nil, errFinished
	}
	if !it.HasNext() {
		return nil, errors.New("no such key")
	}
	if err := it.track(); err != nil {
		return nil, err
	}
	e, err := decodeState(it.v)
	if err != nil {
		return nil, fmt.Errorf("state %s/%q: %w", it.sim.ns, it.k, err)
	}
	key := string(it.k)
	it.returned++
	it.k, it.v = it.cursor.Next()
	it.tracked = false
	return &queryresult.KV{Namespace: it.sim.ns, Key: key, Value: e.Value}, nil
}

func (it *stateIterator) Close() error {
	it.closed = true
	return nil
}

// sliceIterator serves a page of results gathered at query time.
type sliceIterator struct {
	results []*queryresult.KV
	i       int
}

func (it *sliceIterator) HasNext() bool { return it.i < len(it.results) }

func (it *sliceIterator) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("no such key")
	}
	it.i++
	return it.results[it.i-1], nil
}

func (it *sliceIterator) Close() error { return nil }

type historyIterator struct {
	sim    *simulation
	key    string
	prefix []byte
	cursor *bolt.Cursor
	k, v   []byte
	closed bool
}

// skip moves backwards past entries that changed only the key's metadata.
func (it *historyIterator) skip() {
	for it.current() && len(it.v) == 1 && it.v[0]&(histValue|histDelete) == 0 {
		it.k, it.v = it.cursor.Prev()
	}
}

func (it *historyIterator) current() bool {
	return it.k != nil && len(it.k) == len(it.prefix)+12 && bytes.HasPrefix(it.k, it.prefix)
}

func (it *historyIterator) HasNext() bool {
	return !it.closed && !it.sim.finished && it.current()
}

func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	if it.sim.finished {
		return nil, errFinished
	}
	if !it.HasNext() {
		return nil, errors.New("no such key")
	}
	_, ver, err := splitHistKey(it.k)
	if err != nil {
		return nil, err
	}
	t, err := readTx(it.sim.rtx, ver.BlockNum, ver.TxNum)
	if err != nil {
		return nil, err
	}
	w, ok := writeOf(t, it.key)
	if !ok {
		return nil, fmt.Errorf("%w: history of %q names block %d transaction %d, which did not write it", ErrCorrupt, it.key, ver.BlockNum, ver.TxNum)
	}
	it.k, it.v = it.cursor.Prev()
	it.skip()
	return &queryresult.KeyModification{
		TxId:      t.ID,
		Value:     w.Value,
		Timestamp: timestamppb.New(t.Timestamp),
		IsDelete:  w.IsDelete,
	}, nil
}

func (it *historyIterator) Close() error {
	it.closed = true
	return nil
}

// writeOf returns the transaction's write of key (writes are sorted by key).
func writeOf(t *Transaction, key string) (KVWrite, bool) {
	ws := t.RWSet.Writes
	i := sort.Search(len(ws), func(i int) bool { return ws[i].Key >= key })
	if i < len(ws) && ws[i].Key == key {
		return ws[i], true
	}
	return KVWrite{}, false
}
