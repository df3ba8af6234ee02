package chaincode_test

import (
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// planting is the registry chaincode with one more function, plant(key,
// value), that writes a raw value into the registry's state: how a record
// an older build wrote comes to be there.
type planting struct{ shim.Chaincode }

func (p planting) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	if fn, args := stub.GetFunctionAndParameters(); fn == "plant" {
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}
	return p.Chaincode.Invoke(stub)
}

// A record an older build stored, with its signed acts inside it (storage
// format 1), is refused with what to do, on a read, in a listing and by the
// next act, never miscounted: read as format 2 it would count no acts, and
// the next act would number itself the first. Fabric has no format file,
// so the chaincode guards itself.
func TestOlderStorageFormatIsRefused(t *testing.T) {
	cc, err := chaincode.New()
	require.NoError(t, err)
	e := newEmbeddedEnv(t, map[string]shim.Chaincode{chaincode.Name: planting{cc}}, false)
	ctx := t.Context()
	d := e.marketplace().Deal("old-format", "")
	require.NoError(t, d.Interest(ctx))
	ref := schema.AgreementRef(d.Agreement.ID)
	history, err := e.client.History(ctx, ref)
	require.NoError(t, err)
	acts, err := e.client.Acts(ctx, ref)
	require.NoError(t, err)
	raw := make([][]byte, len(acts))
	for i, a := range acts {
		raw[i] = a
	}
	formatOne, err := schema.ReadOf(history[0].Value, raw) // the acts inside the record
	require.NoError(t, err)
	id, err := e.ledger.DefaultIdentity()
	require.NoError(t, err)
	_, err = e.ledger.Submit(ctx, id, ledger.Proposal{Chaincode: chaincode.Name, Function: "plant",
		Args: [][]byte{[]byte(schema.AgreementKey(d.Agreement.ID)), formatOne}})
	require.NoError(t, err)

	const refusal = "stored with its signed acts inside it"
	_, err = e.client.Record(ctx, ref)
	require.ErrorContains(t, err, refusal, "a read")
	_, err = e.client.Agreements(ctx, client.Filter{By: "customer", Value: d.Agreement.Customer}, client.PageRequest{})
	require.ErrorContains(t, err, refusal, "a listing")
	err = d.EnterFees(ctx, schema.Fees{AnnualFee: 100})
	require.ErrorContains(t, err, refusal, "the next act")
	require.ErrorContains(t, err, schema.StorageFormat)
}

// The registry's functions are called directly (their names as the schema
// states them, a wrong number of arguments refused by name); a
// contract-qualified name and contractapi's system contract still reach
// contractapi, with the same answers.
func TestFunctionsAreDispatched(t *testing.T) {
	e := newEmbeddedEnv(t, nil, false)
	ctx := t.Context()
	id, err := e.ledger.DefaultIdentity()
	require.NoError(t, err)
	evaluate := func(fn string, args ...string) ([]byte, error) {
		raw := make([][]byte, len(args))
		for i, a := range args {
			raw[i] = []byte(a)
		}
		return e.ledger.Evaluate(ctx, id, ledger.Proposal{Chaincode: chaincode.Name, Function: fn, Args: raw})
	}
	direct, err := evaluate(schema.FnGetDomain)
	require.NoError(t, err)
	qualified, err := evaluate("Registry:" + schema.FnGetDomain)
	require.NoError(t, err)
	require.JSONEq(t, string(direct), string(qualified))

	meta, err := evaluate("org.hyperledger.fabric:GetMetadata")
	require.NoError(t, err)
	var md struct {
		Contracts map[string]struct {
			Transactions []struct{ Name string } `json:"transactions"`
		} `json:"contracts"`
	}
	require.NoError(t, json.Unmarshal(meta, &md))
	var names []string
	for _, tx := range md.Contracts["Registry"].Transactions {
		names = append(names, tx.Name)
	}
	for _, fn := range []string{schema.FnRegisterParty, schema.FnSetInHouseRelationships, schema.FnAddKeyAsMember, schema.FnRevokeKeyAsMember,
		schema.FnGetDomain, schema.FnGetParty, schema.FnGetOffering, schema.FnGetOfferingVersion, schema.FnGetPriceModel,
		schema.FnGetAgreement, schema.FnGetFeeVersion, schema.FnGetEndorsementPolicy, schema.FnListOfferings, schema.FnListAgreements,
		schema.FnListPriceModels, schema.FnHistory, schema.FnListActs, schema.FnGetAct, schema.FnGetReceipt} {
		require.Contains(t, names, fn, "schema names %s, a function of the contract", fn)
	}

	_, err = evaluate(schema.FnGetParty)
	require.ErrorContains(t, err, "GetParty: 0 arguments given, it takes 1")
	_, err = evaluate("NoSuchFunction")
	require.ErrorContains(t, err, "NoSuchFunction")
}
