package schema

// EIP712 is the signing material portals fetch (GET /v1/eip712): the
// domain, every type in the eth_signTypedData_v4 shape, and where each act
// is posted.
type EIP712 struct {
	Domain       map[string]string         `json:"domain"`
	Types        map[string][]EIP712Field  `json:"types"`
	PrimaryTypes []string                  `json:"primaryTypes"`
	Records      map[string]string         `json:"records"`
	Wallets      string                    `json:"wallets"`
	Endpoints    map[string]EIP712Endpoint `json:"endpoints"`
}

// EIP712Field is one field of a type.
type EIP712Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// EIP712Endpoint says where an act is posted; PathField names the message
// field whose value is the path's {id}.
type EIP712Endpoint struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	PathField string `json:"pathField,omitempty"`
}

// DomainFields is the EIP-712 domain of a channel as wallets and ethers take
// it: exactly its fields (name, version, salt), none empty.
func DomainFields(channel string) map[string]string {
	d := Domain(channel)
	return map[string]string{"name": d.Name, "version": d.Version, "salt": d.Salt}
}

// SigningMaterial is the signing material of a channel, with the endpoints
// of the acts by primary type.
func SigningMaterial(channel string, endpoints map[string]EIP712Endpoint) EIP712 {
	out := EIP712{
		Domain:       DomainFields(channel),
		Types:        map[string][]EIP712Field{},
		PrimaryTypes: ActTypes,
		Records: map[string]string{
			TypeOffering: "the hash of an offering version", TypePriceModel: "the hash of a price-model version",
			TypeTerms: "the terms hash of a fee version",
		},
		Wallets:   "eth_signTypedData_v4 takes these types as they are; ethers' signTypedData wants only the primary type, without EIP712Domain",
		Endpoints: endpoints,
	}
	for name, fields := range types {
		for _, f := range fields {
			out.Types[name] = append(out.Types[name], EIP712Field{Name: f.Name, Type: f.Type})
		}
	}
	return out
}
