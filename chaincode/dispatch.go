package chaincode

import (
	"fmt"
	"reflect"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// dispatcher calls the registry's functions by their names directly, the
// way contractapi would, with less work per call: contractapi parses the
// submitter's certificate on every call (cid.New) although only member
// administration asks who submitted, and converts every argument and result
// through its serializer although all of them are strings the contract
// decodes itself (schema.DecodeStrict). Here the identity is parsed when a
// function first asks for it, and strings pass as they are. Anything else —
// a contract-qualified name ("Registry:GetParty"), contractapi's system
// contract (its metadata) — goes to contractapi, which knows the same
// functions.
type dispatcher struct {
	*contractapi.ContractChaincode
	functions map[string]function
}

// function is one of the contract's functions, bound to the contract.
type function struct {
	call   reflect.Value
	params int // the strings it takes after the transaction context
}

// newDispatcher maps the functions of the contract that contractapi serves
// — its exported methods, less those of contractapi.Contract — and checks
// that each takes the transaction context and strings and returns a string
// and an error.
func newDispatcher(cc *contractapi.ContractChaincode, contract *Registry) (*dispatcher, error) {
	inherited := map[string]bool{}
	base := reflect.TypeFor[*contractapi.Contract]()
	for i := range base.NumMethod() {
		inherited[base.Method(i).Name] = true
	}
	ctxType := reflect.TypeFor[contractapi.TransactionContextInterface]()
	stringType, errorType := reflect.TypeFor[string](), reflect.TypeFor[error]()
	d := &dispatcher{ContractChaincode: cc, functions: map[string]function{}}
	v := reflect.ValueOf(contract)
	for i := range v.NumMethod() {
		m := v.Type().Method(i)
		if inherited[m.Name] {
			continue
		}
		ft := v.Method(i).Type()
		ok := ft.NumIn() >= 1 && ft.In(0) == ctxType && ft.NumOut() == 2 && ft.Out(0) == stringType && ft.Out(1) == errorType
		for p := 1; ok && p < ft.NumIn(); p++ {
			ok = ft.In(p) == stringType
		}
		if !ok {
			return nil, fmt.Errorf("chaincode: function %s must take the transaction context and strings and return a string and an error, not %s", m.Name, ft)
		}
		d.functions[m.Name] = function{call: v.Method(i), params: ft.NumIn() - 1}
	}
	return d, nil
}

// Invoke implements shim.Chaincode.
func (d *dispatcher) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	name, args := stub.GetFunctionAndParameters()
	f, ok := d.functions[name]
	if !ok {
		return d.ContractChaincode.Invoke(stub)
	}
	if len(args) != f.params {
		return shim.Error(fmt.Sprintf("%s: %d arguments given, it takes %d", name, len(args), f.params))
	}
	in := make([]reflect.Value, 1+len(args))
	in[0] = reflect.ValueOf(&txContext{stub: stub})
	for i, a := range args {
		in[1+i] = reflect.ValueOf(a)
	}
	out := f.call.Call(in)
	if err, _ := out[1].Interface().(error); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success([]byte(out[0].String()))
}

// txContext is the transaction context of a dispatched call: the stub, and
// the submitter's identity, parsed on first use.
type txContext struct {
	stub     shim.ChaincodeStubInterface
	identity cid.ClientIdentity
	parsed   bool
}

// GetStub implements contractapi.TransactionContextInterface.
func (c *txContext) GetStub() shim.ChaincodeStubInterface { return c.stub }

// GetClientIdentity implements contractapi.TransactionContextInterface. As
// with contractapi, an identity that cannot be read is nil.
func (c *txContext) GetClientIdentity() cid.ClientIdentity {
	if !c.parsed {
		c.parsed = true
		if ci, err := cid.New(c.stub); err == nil {
			c.identity = ci
		}
	}
	return c.identity
}
