// Package ledgertest holds a small key-value contract, written with
// fabric-contract-api-go like any production chaincode, that exercises every
// part of the shim the embedded ledger implements. The ledger's tests, the
// crash test's subprocess and the load tools run it.
package ledgertest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Name is the chaincode name the tests install the KV contract under.
const Name = "kv"

// KV is the test contract.
type KV struct {
	contractapi.Contract
}

// New returns the KV contract as a chaincode.
func New() (shim.Chaincode, error) {
	cc, err := contractapi.NewChaincode(&KV{})
	if err != nil {
		return nil, fmt.Errorf("ledgertest: build KV chaincode: %w", err)
	}
	return cc, nil
}

// Entry is one key and value.
type Entry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Page is a page of a paginated query.
type Page struct {
	Entries  []Entry `json:"entries"`
	Fetched  int32   `json:"fetched"`
	Bookmark string  `json:"bookmark"`
}

// Modification is one entry of a key's history.
type Modification struct {
	TxID      string `json:"txId"`
	Value     string `json:"value"`
	Timestamp string `json:"timestamp"`
	IsDelete  bool   `json:"isDelete"`
}

// Caller describes who called and in which transaction.
type Caller struct {
	MSPID     string `json:"mspId"`
	ID        string `json:"id"`
	OU        bool   `json:"clientOU"`
	TxID      string `json:"txId"`
	Channel   string `json:"channel"`
	Timestamp string `json:"timestamp"`
	Function  string `json:"function"`
	Args      int    `json:"args"`
	Binding   int    `json:"bindingLength"`
}

// Put writes a value.
func (KV) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	return ctx.GetStub().PutState(key, []byte(value))
}

// Get reads a value; a missing key reads as "".
func (KV) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetState(key)
	return string(v), err
}

// GetMany reads several keys at once.
func (KV) GetMany(ctx contractapi.TransactionContextInterface, keys []string) ([]string, error) {
	vs, err := ctx.GetStub().GetMultipleStates(keys...)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out, nil
}

// Del deletes a key.
func (KV) Del(ctx contractapi.TransactionContextInterface, key string) error {
	return ctx.GetStub().DelState(key)
}

// PutAndGet writes a key and reads it back in the same transaction: the read
// sees committed state, not the pending write (as in Fabric).
func (KV) PutAndGet(ctx contractapi.TransactionContextInterface, key, value string) (string, error) {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return "", err
	}
	v, err := ctx.GetStub().GetState(key)
	return string(v), err
}

// Increment reads a counter and writes it back plus one: a read-modify-write
// that conflicts with a concurrent one.
func (KV) Increment(ctx contractapi.TransactionContextInterface, key string) (int, error) {
	raw, err := ctx.GetStub().GetState(key)
	if err != nil {
		return 0, err
	}
	n := 0
	if raw != nil {
		if n, err = strconv.Atoi(string(raw)); err != nil {
			return 0, fmt.Errorf("counter %q holds %q: %w", key, raw, err)
		}
	}
	n++
	return n, ctx.GetStub().PutState(key, []byte(strconv.Itoa(n)))
}

// PutComposite writes a value under a composite key.
func (KV) PutComposite(ctx contractapi.TransactionContextInterface, objectType string, attributes []string, value string) (string, error) {
	key, err := ctx.GetStub().CreateCompositeKey(objectType, attributes)
	if err != nil {
		return "", err
	}
	return key, ctx.GetStub().PutState(key, []byte(value))
}

// SplitKey splits a composite key.
func (KV) SplitKey(ctx contractapi.TransactionContextInterface, key string) ([]string, error) {
	objectType, attrs, err := ctx.GetStub().SplitCompositeKey(key)
	if err != nil {
		return nil, err
	}
	return append([]string{objectType}, attrs...), nil
}

func drain(it shim.StateQueryIteratorInterface) ([]Entry, error) {
	defer it.Close()
	out := []Entry{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Key: kv.Key, Value: string(kv.Value)})
	}
	return out, nil
}

// Range lists [start, end).
func (KV) Range(ctx contractapi.TransactionContextInterface, start, end string) ([]Entry, error) {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return nil, err
	}
	return drain(it)
}

// RangePage lists one page of [start, end).
func (KV) RangePage(ctx contractapi.TransactionContextInterface, start, end string, pageSize int32, bookmark string) (*Page, error) {
	it, md, err := ctx.GetStub().GetStateByRangeWithPagination(start, end, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	entries, err := drain(it)
	if err != nil {
		return nil, err
	}
	return &Page{Entries: entries, Fetched: md.FetchedRecordsCount, Bookmark: md.Bookmark}, nil
}

// ByPartialKey lists the composite keys that start with objectType and attributes.
func (KV) ByPartialKey(ctx contractapi.TransactionContextInterface, objectType string, attributes []string) ([]Entry, error) {
	it, err := ctx.GetStub().GetStateByPartialCompositeKey(objectType, attributes)
	if err != nil {
		return nil, err
	}
	return drain(it)
}

// ByPartialKeyPage lists one page of a partial composite key query.
func (KV) ByPartialKeyPage(ctx contractapi.TransactionContextInterface, objectType string, attributes []string, pageSize int32, bookmark string) (*Page, error) {
	it, md, err := ctx.GetStub().GetStateByPartialCompositeKeyWithPagination(objectType, attributes, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	entries, err := drain(it)
	if err != nil {
		return nil, err
	}
	return &Page{Entries: entries, Fetched: md.FetchedRecordsCount, Bookmark: md.Bookmark}, nil
}

// AllCompositePage lists one page of all composite keys.
func (KV) AllCompositePage(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (*Page, error) {
	it, md, err := ctx.GetStub().GetAllStatesCompositeKeyWithPagination(pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	entries, err := drain(it)
	if err != nil {
		return nil, err
	}
	return &Page{Entries: entries, Fetched: md.FetchedRecordsCount, Bookmark: md.Bookmark}, nil
}

// PutIfRangeEmpty writes key only if nothing exists in [start, end): a range
// read followed by a write, which a concurrent insert into the range turns
// into a phantom read.
func (KV) PutIfRangeEmpty(ctx contractapi.TransactionContextInterface, start, end, key, value string) error {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return err
	}
	defer it.Close()
	if it.HasNext() {
		return errors.New("range is not empty")
	}
	return ctx.GetStub().PutState(key, []byte(value))
}

// MarkIfRangeHasKeys writes key when [start, end) holds a key, having only
// asked the iterator whether there is one.
func (KV) MarkIfRangeHasKeys(ctx contractapi.TransactionContextInterface, start, end, key string) error {
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return err
	}
	defer it.Close()
	if !it.HasNext() {
		return nil
	}
	return ctx.GetStub().PutState(key, []byte("marked"))
}

// PageThenPut runs a paginated query and then writes, which Fabric refuses.
func (KV) PageThenPut(ctx contractapi.TransactionContextInterface, key string) error {
	it, _, err := ctx.GetStub().GetStateByRangeWithPagination("", "", 10, "")
	if err != nil {
		return err
	}
	it.Close()
	return ctx.GetStub().PutState(key, []byte("x"))
}

// PutThenPage writes and then runs a paginated query, which Fabric refuses.
func (KV) PutThenPage(ctx contractapi.TransactionContextInterface, key string) error {
	if err := ctx.GetStub().PutState(key, []byte("x")); err != nil {
		return err
	}
	_, _, err := ctx.GetStub().GetStateByRangeWithPagination("", "", 10, "")
	return err
}

// History returns a key's committed history, newest first.
func (KV) History(ctx contractapi.TransactionContextInterface, key string) ([]Modification, error) {
	it, err := ctx.GetStub().GetHistoryForKey(key)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []Modification{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, Modification{
			TxID:      m.TxId,
			Value:     string(m.Value),
			Timestamp: m.Timestamp.AsTime().Format(time.RFC3339Nano),
			IsDelete:  m.IsDelete,
		})
	}
	return out, nil
}

// SetPolicy sets a key's validation parameter.
func (KV) SetPolicy(ctx contractapi.TransactionContextInterface, key, policy string) error {
	return ctx.GetStub().SetStateValidationParameter(key, []byte(policy))
}

// PutWithPolicy writes a value and its validation parameter in one transaction.
func (KV) PutWithPolicy(ctx contractapi.TransactionContextInterface, key, value, policy string) error {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return err
	}
	return ctx.GetStub().SetStateValidationParameter(key, []byte(policy))
}

// GetPolicy reads a key's validation parameter.
func (KV) GetPolicy(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	p, err := ctx.GetStub().GetStateValidationParameter(key)
	return string(p), err
}

// PutBatch writes several keys (separated by commas) inside a write batch.
func (KV) PutBatch(ctx contractapi.TransactionContextInterface, keys, value string, finish bool) error {
	stub := ctx.GetStub()
	stub.StartWriteBatch()
	for _, k := range strings.Split(keys, ",") {
		if err := stub.PutState(k, []byte(value)); err != nil {
			return err
		}
	}
	if finish {
		return stub.FinishWriteBatch()
	}
	return nil // the shim flushes the batch when the transaction ends
}

// Emit reads and writes a key and sets a chaincode event.
func (KV) Emit(ctx contractapi.TransactionContextInterface, key, name, payload string) error {
	if _, err := ctx.GetStub().GetState(key); err != nil {
		return err
	}
	if err := ctx.GetStub().PutState(key, []byte(payload)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent(name, []byte(payload))
}

// Whoami reports the caller and the transaction context.
func (KV) Whoami(ctx contractapi.TransactionContextInterface) (*Caller, error) {
	ci := ctx.GetClientIdentity()
	msp, err := ci.GetMSPID()
	if err != nil {
		return nil, err
	}
	id, err := ci.GetID()
	if err != nil {
		return nil, err
	}
	cert, err := ci.GetX509Certificate()
	if err != nil {
		return nil, err
	}
	client := len(cert.Subject.OrganizationalUnit) == 1 && cert.Subject.OrganizationalUnit[0] == "client"
	stub := ctx.GetStub()
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, err
	}
	fn, params := stub.GetFunctionAndParameters()
	b, err := stub.GetBinding()
	if err != nil {
		return nil, err
	}
	return &Caller{
		MSPID: msp, ID: id, OU: client, TxID: stub.GetTxID(), Channel: stub.GetChannelID(),
		Timestamp: ts.AsTime().Format(time.RFC3339Nano), Function: fn, Args: len(params), Binding: len(b),
	}, nil
}

// Transient returns one value of the transient map.
func (KV) Transient(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	t, err := ctx.GetStub().GetTransient()
	if err != nil {
		return "", err
	}
	return string(t[key]), nil
}

// Unsupported calls a shim function the embedded ledger does not provide and
// returns its error.
func (KV) Unsupported(ctx contractapi.TransactionContextInterface, call string) error {
	stub := ctx.GetStub()
	var err error
	switch call {
	case "GetPrivateData":
		_, err = stub.GetPrivateData("c", "k")
	case "PutPrivateData":
		err = stub.PutPrivateData("c", "k", []byte("v"))
	case "GetPrivateDataByRange":
		_, err = stub.GetPrivateDataByRange("c", "a", "b")
	case "GetQueryResult":
		_, err = stub.GetQueryResult(`{"selector":{}}`)
	case "GetSignedProposal":
		_, err = stub.GetSignedProposal()
	case "InvokeChaincode":
		resp := stub.InvokeChaincode("other", [][]byte{[]byte("f")}, "")
		err = errors.New(resp.Message)
	default:
		return fmt.Errorf("no such call %q", call)
	}
	if err == nil {
		return fmt.Errorf("%s succeeded", call)
	}
	return err
}

// Fail always fails.
func (KV) Fail(_ contractapi.TransactionContextInterface, message string) error {
	return errors.New(message)
}

// Panic panics.
func (KV) Panic(_ contractapi.TransactionContextInterface) error {
	panic("KV.Panic called")
}
