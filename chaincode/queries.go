package chaincode

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// GetDomain returns the EIP-712 domain of this channel.
func (c *Registry) GetDomain(ctx contractapi.TransactionContextInterface) (string, error) {
	raw, err := json.Marshal(schema.Domain(ctx.GetStub().GetChannelID()))
	if err != nil {
		return "", fmt.Errorf("encode domain: %w", err)
	}
	return string(raw), nil
}

// read returns a record as a read answers it: as stored, with its signed
// acts joined (joinActs) where its kind keeps them; field names the input
// that named it and what the record in the refusal when there is none.
func (c *Registry) read(ctx contractapi.TransactionContextInterface, field, what string, r schema.Ref) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	attrs := r.Attributes()
	k, err := t.key(string(r.Record), attrs...)
	if err != nil {
		return "", schema.Invalid(field, "%v", err)
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", r.Record, err)
	}
	if raw == nil {
		return "", schema.NotFound(field, "no %s %s", what, strings.Join(attrs, "/"))
	}
	if !r.Record.HasActs() {
		return string(raw), nil
	}
	out, err := joinActs(t.stub, r.Record, r.ID, raw)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// joinActs adds a stored record's signed acts to it, in order, as "acts":
// the record as a read answers it. A record of an older storage format is
// refused (schema.ActLog.CheckStored).
func joinActs(stub shim.ChaincodeStubInterface, r schema.Record, id string, stored []byte) ([]byte, error) {
	var log schema.ActLog
	if err := json.Unmarshal(stored, &log); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", r, id, err)
	}
	if err := log.CheckStored(r, id); err != nil {
		return nil, err
	}
	it, err := stub.GetStateByPartialCompositeKey(schema.ActObject, schema.ActAttributes(r, id))
	if err != nil {
		return nil, fmt.Errorf("acts of %s %s: %w", r, id, err)
	}
	defer it.Close()
	var acts [][]byte
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("acts of %s %s: %w", r, id, err)
		}
		acts = append(acts, kv.Value)
	}
	return schema.ReadOf(stored, acts)
}

// ListActs pages through the signed acts on a record — party, offering or
// agreement — oldest first, as stored (each under its own key).
func (c *Registry) ListActs(ctx contractapi.TransactionContextInterface, record, id, pageSize, bookmark string) (string, error) {
	r, err := actRecord(ctx, record, id)
	if err != nil {
		return "", err
	}
	return list(ctx, listing{scan: schema.ActObject, attrs: schema.ActAttributes(r, id)}, pageSize, bookmark)
}

// GetAct returns the seq-th signed act (from 1) on a record — party,
// offering or agreement — as stored.
func (c *Registry) GetAct(ctx contractapi.TransactionContextInterface, record, id, seq string) (string, error) {
	r, err := actRecord(ctx, record, id)
	if err != nil {
		return "", err
	}
	n, err := schema.ParseVersion("seq", seq)
	if err != nil {
		return "", err
	}
	raw, err := ctx.GetStub().GetState(schema.ActKey(r, id, n))
	if err != nil {
		return "", fmt.Errorf("read act: %w", err)
	}
	if raw == nil {
		return "", schema.NotFound("seq", "%s %s has no act %d", r, id, n)
	}
	return string(raw), nil
}

// actRecord checks that a record of a kind that keeps acts exists.
func actRecord(ctx contractapi.TransactionContextInterface, record, id string) (schema.Record, error) {
	r := schema.Record(record)
	if !r.HasActs() {
		return "", schema.Invalid("record", "must be party, offering or agreement")
	}
	k, err := ctx.GetStub().CreateCompositeKey(record, []string{id})
	if err != nil {
		return "", schema.Invalid("id", "%v", err)
	}
	raw, err := ctx.GetStub().GetState(k)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", r, err)
	}
	if raw == nil {
		return "", schema.NotFound("id", "no %s %s", r, id)
	}
	return r, nil
}

// readVersion returns a version of a record, given as text.
func (c *Registry) readVersion(ctx contractapi.TransactionContextInterface, what string, ref func(string, schema.Uint) schema.Ref, id, ver string) (string, error) {
	v, err := schema.ParseVersion("version", ver)
	if err != nil {
		return "", err
	}
	return c.read(ctx, "version", what, ref(id, v))
}

// GetParty returns a party.
func (c *Registry) GetParty(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "party", schema.PartyRef(id))
}

// GetOffering returns the current state of an offering.
func (c *Registry) GetOffering(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "offering", schema.OfferingRef(id))
}

// GetOfferingVersion returns one version of an offering.
func (c *Registry) GetOfferingVersion(ctx contractapi.TransactionContextInterface, id, ver string) (string, error) {
	return c.readVersion(ctx, "offering version", schema.OfferingVersionRef, id, ver)
}

// GetPriceModel returns a price-model version of an offering.
func (c *Registry) GetPriceModel(ctx contractapi.TransactionContextInterface, offering, ver string) (string, error) {
	return c.readVersion(ctx, "price model", schema.PriceModelRef, offering, ver)
}

// GetAgreement returns an agreement.
func (c *Registry) GetAgreement(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "agreement", schema.AgreementRef(id))
}

// GetFeeVersion returns a fee version of an agreement.
func (c *Registry) GetFeeVersion(ctx contractapi.TransactionContextInterface, agreement, ver string) (string, error) {
	return c.readVersion(ctx, "fee version", schema.FeeVersionRef, agreement, ver)
}

// GetEndorsementPolicy returns the member orgs whose peers must endorse
// every change of an agreement (its key's state-based endorsement policy).
func (c *Registry) GetEndorsementPolicy(ctx contractapi.TransactionContextInterface, agreement string) (string, error) {
	stub := ctx.GetStub()
	k, err := stub.CreateCompositeKey(string(schema.RecordAgreement), []string{agreement})
	if err != nil {
		return "", schema.Invalid("id", "%v", err)
	}
	policy, err := stub.GetStateValidationParameter(k)
	if err != nil {
		return "", fmt.Errorf("read endorsement policy: %w", err)
	}
	if policy == nil {
		return "", schema.NotFound("id", "agreement %s has no endorsement policy", agreement)
	}
	ep, err := statebased.NewStateEP(policy)
	if err != nil {
		return "", fmt.Errorf("decode endorsement policy: %w", err)
	}
	orgs := ep.ListOrgs()
	slices.Sort(orgs)
	raw, err := json.Marshal(orgs)
	if err != nil {
		return "", fmt.Errorf("encode endorsement policy: %w", err)
	}
	return string(raw), nil
}

// ListOfferings pages through offerings: all (by = ""), or by themenfeld,
// supplier, anbieter, status or leika.
func (c *Registry) ListOfferings(ctx contractapi.TransactionContextInterface, by, value, pageSize, bookmark string) (string, error) {
	return listBy(ctx, schema.RecordOffering, by, value, pageSize, bookmark)
}

// ListAgreements pages through agreements: all (by = ""), or by customer,
// supplier, anbieter or status.
func (c *Registry) ListAgreements(ctx contractapi.TransactionContextInterface, by, value, pageSize, bookmark string) (string, error) {
	return listBy(ctx, schema.RecordAgreement, by, value, pageSize, bookmark)
}

// ListPriceModels pages through the price-model versions of an offering, oldest first.
func (c *Registry) ListPriceModels(ctx contractapi.TransactionContextInterface, offering, pageSize, bookmark string) (string, error) {
	return list(ctx, listing{scan: string(schema.RecordPriceModel), attrs: []string{offering}}, pageSize, bookmark)
}

// GetReceipt returns the receipt of the act a signer (an Ethereum address)
// submitted under a nonce: the transaction that carried it and the digest
// signed. A client that sent an act again learns so from it.
func (c *Registry) GetReceipt(ctx contractapi.TransactionContextInterface, signer, nonce string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	k, err := t.key(keyNonce, signer, nonce)
	if err != nil {
		return "", schema.Invalid("signer", "%v", err)
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return "", fmt.Errorf("read receipt: %w", err)
	}
	if raw == nil {
		return "", schema.NotFound("nonce", "%s used no nonce %s", signer, nonce)
	}
	return string(raw), nil
}

// History pages through every committed change of a record, newest first:
// record is party, offering, agreement, priceModel (id "offering/version")
// or feeVersion (id "agreement/version"). The bookmark of the next page is
// the transaction of the last change on this one, so pages stay put while
// newer changes arrive.
func (c *Registry) History(ctx contractapi.TransactionContextInterface, record, id, pageSize, bookmark string) (string, error) {
	r := schema.Record(record)
	switch r {
	case schema.RecordParty, schema.RecordOffering, schema.RecordAgreement, schema.RecordPriceModel, schema.RecordFeeVersion:
	default:
		return "", schema.Invalid("record", "must be party, offering, agreement, priceModel or feeVersion")
	}
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	ref, err := schema.ParseRef("id", r, id)
	if err != nil {
		return "", err
	}
	stub := ctx.GetStub()
	k, err := stub.CreateCompositeKey(record, ref.Attributes())
	if err != nil {
		return "", schema.Invalid("id", "%v", err)
	}
	it, err := stub.GetHistoryForKey(k)
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer it.Close()
	page := schema.Page[schema.HistoryEntry]{Items: []schema.HistoryEntry{}}
	seen, skipping := 0, bookmark != ""
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		seen++
		if skipping {
			skipping = m.TxId != bookmark
			continue
		}
		if len(page.Items) == int(size) {
			page.Bookmark = page.Items[len(page.Items)-1].TxID
			break
		}
		e := schema.HistoryEntry{TxID: m.TxId, Time: m.Timestamp.AsTime().UTC().Format(time.RFC3339Nano), IsDelete: m.IsDelete}
		if !m.IsDelete {
			e.Value = m.Value
		}
		page.Items = append(page.Items, e)
	}
	switch {
	case seen == 0:
		return "", schema.NotFound("id", "no %s %s", record, id)
	case skipping:
		return "", schema.Invalid("bookmark", "is not a bookmark of this history")
	}
	raw, err := json.Marshal(page)
	if err != nil {
		return "", fmt.Errorf("encode history: %w", err)
	}
	return string(raw), nil
}

// listBy pages through records of a kind: all (by = ""), or through the
// index by one of the filters.
func listBy(ctx contractapi.TransactionContextInterface, r schema.Record, by, value, pageSize, bookmark string) (string, error) {
	value, err := schema.NormalizeFilter(r, by, value)
	if err != nil {
		return "", err
	}
	joined := schema.Record("")
	if r.HasActs() {
		joined = r
	}
	if by == "" {
		return list(ctx, listing{scan: string(r), attrs: []string{}, joined: joined}, pageSize, bookmark)
	}
	return list(ctx, listing{scan: indexName(r, by), attrs: []string{value}, record: r, joined: joined}, pageSize, bookmark)
}

// A listing is a range of keys to page through: records by their primary
// keys, or the entries of an index of record, whose last attribute is the
// record's id.
type listing struct {
	scan   string
	attrs  []string
	record schema.Record // "": the scanned keys are the records
	joined schema.Record // records whose acts each item joins ("": none)
}

func list(ctx contractapi.TransactionContextInterface, l listing, pageSize, bookmark string) (string, error) {
	stub := ctx.GetStub()
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	if err := checkBookmark(stub, l.scan, l.attrs, bookmark); err != nil {
		return "", err
	}
	it, md, err := stub.GetStateByPartialCompositeKeyWithPagination(l.scan, l.attrs, size, bookmark)
	if err != nil {
		return "", schema.Invalid("bookmark", "%v", err)
	}
	defer it.Close()
	page := schema.Page[json.RawMessage]{Items: []json.RawMessage{}, Bookmark: md.GetBookmark()}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("list %s: %w", l.scan, err)
		}
		raw := kv.Value
		if l.record != "" {
			if raw, err = indexed(stub, l, kv.Key); err != nil {
				return "", err
			}
		}
		if l.joined != "" {
			_, parts, err := stub.SplitCompositeKey(kv.Key)
			if err != nil || len(parts) == 0 {
				return "", fmt.Errorf("list %s: malformed key %q", l.scan, kv.Key)
			}
			if raw, err = joinActs(stub, l.joined, parts[len(parts)-1], raw); err != nil {
				return "", err
			}
		}
		page.Items = append(page.Items, raw)
	}
	out, err := json.Marshal(page)
	if err != nil {
		return "", fmt.Errorf("encode page: %w", err)
	}
	return string(out), nil
}

// indexed reads the record an index entry names.
func indexed(stub shim.ChaincodeStubInterface, l listing, entry string) ([]byte, error) {
	_, parts, err := stub.SplitCompositeKey(entry)
	if err != nil || len(parts) == 0 {
		return nil, fmt.Errorf("index %s: malformed key %q", l.scan, entry)
	}
	id := parts[len(parts)-1]
	k, err := stub.CreateCompositeKey(string(l.record), []string{id})
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", l.scan, err)
	}
	raw, err := stub.GetState(k)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", l.record, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("index %s names missing %s %s", l.scan, l.record, id)
	}
	return raw, nil
}

func parsePageSize(s string) (int32, error) {
	if s == "" {
		return 50, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || n > 1000 {
		return 0, schema.Invalid("pageSize", "must be 1 to 1000")
	}
	return int32(n), nil
}

// checkBookmark refuses a bookmark outside the listing's key range: a Fabric
// peer would start the scan there, unchecked, and read other keys.
func checkBookmark(stub shim.ChaincodeStubInterface, objectType string, attrs []string, bookmark string) error {
	if bookmark == "" {
		return nil
	}
	start, err := stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return schema.Invalid("bookmark", "%v", err)
	}
	if !strings.HasPrefix(bookmark, start) {
		return schema.Invalid("bookmark", "is not a bookmark of this listing")
	}
	return nil
}
