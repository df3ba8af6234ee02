package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// priceModelRef is what the price-model hash index points to.
type priceModelRef struct {
	Offering string      `json:"offering"`
	Version  schema.Uint `json:"version"`
}

// PublishPriceModel publishes the next price-model version of an offering,
// signed by its supplier. Published versions are write-once; each names its
// predecessor's hash.
func (c *Registry) PublishPriceModel(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.PublishPriceModelMessage
	t, v, o, err := offeringAct(ctx, message, signature, &m, &m.Offering, bySupplier)
	if err != nil {
		return "", err
	}
	if o.Status == schema.OfferingWithdrawn {
		return "", schema.Conflict("message.offering", "offering %s is withdrawn", o.Offering)
	}
	latest, predecessor, err := t.latestPriceModel(o.Offering)
	if err != nil {
		return "", err
	}
	switch {
	case m.Version <= latest:
		return "", schema.Conflict("message.version", "price-model version %d of offering %s is published and write-once; the next is %d", m.Version, o.Offering, latest+1)
	case m.Version != latest+1:
		return "", schema.Conflict("message.version", "the next price-model version of offering %s is %d", o.Offering, latest+1)
	case m.PredecessorHash != predecessor:
		return "", schema.Conflict("message.predecessorHash", "must be the hash of version %d: %s", latest, predecessor)
	}
	hash, err := schema.ContentHash(t.channel, schema.TypePriceModel, &m.PriceModelContent)
	if err != nil {
		return "", err
	}
	pm := schema.PriceModel{PriceModelContent: m.PriceModelContent, Hash: hash, Published: v.act}
	ref := schema.PriceModelRef(o.Offering, m.Version)
	raw, err := t.putOnce("message.version", pm, string(ref.Record), ref.Attributes()...)
	if err != nil {
		return "", err
	}
	if _, err := t.putOnce("message", priceModelRef{Offering: ref.ID, Version: ref.Version}, keyPriceModelHash, hash); err != nil {
		return "", err
	}
	if err := t.emit("PriceModelPublished", ref.Record, ref.String(), "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// latestPriceModel returns the newest price-model version of an offering
// and its hash (0 and ZeroHash when there is none).
func (t *tx) latestPriceModel(offering string) (schema.Uint, string, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(string(schema.RecordPriceModel), []string{offering})
	if err != nil {
		return 0, "", fmt.Errorf("list price models: %w", err)
	}
	defer it.Close()
	var latest schema.Uint
	hash := schema.ZeroHash
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return 0, "", fmt.Errorf("list price models: %w", err)
		}
		var pm schema.PriceModel
		if err := json.Unmarshal(kv.Value, &pm); err != nil {
			return 0, "", fmt.Errorf("decode price model: %w", err)
		}
		if pm.Version > latest {
			latest, hash = pm.Version, pm.Hash
		}
	}
	return latest, hash, nil
}

// priceModelByHash returns the price-model version of an offering that has
// a hash; field names the hash in the refusal when there is none.
func (t *tx) priceModelByHash(field, offering, hash string) (schema.Uint, error) {
	var ref priceModelRef
	if found, err := t.get(&ref, keyPriceModelHash, hash); err != nil {
		return 0, err
	} else if !found || ref.Offering != offering {
		return 0, schema.NotFound(field, "no price-model version of offering %s has hash %s", offering, hash)
	}
	return ref.Version, nil
}
