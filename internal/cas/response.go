package cas

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
)

// CAS error codes (CAS protocol 3.0 section 2.5.3).
const (
	InvalidRequest       = "INVALID_REQUEST"
	InvalidTicketSpec    = "INVALID_TICKET_SPEC"
	InvalidTicket        = "INVALID_TICKET"
	InvalidService       = "INVALID_SERVICE"
	InvalidProxyCallback = "INVALID_PROXY_CALLBACK"
	UnauthorizedProxy    = "UNAUTHORIZED_SERVICE_PROXY"
	InternalError        = "INTERNAL_ERROR"
)

// casError is a validation or proxy failure.
type casError struct {
	code, desc string
}

// success is what a successful validation says.
type success struct {
	user       string
	attributes []attribute // CAS 3.0 only
	pgtIOU     string
	proxies    []string
}

type attribute struct {
	name   string
	values []string
}

// writeSuccess writes a CAS 2.0/3.0 success in the requested format.
func writeSuccess(w http.ResponseWriter, format string, s *success) {
	if format == "JSON" {
		body := map[string]any{"user": s.user}
		if s.attributes != nil {
			attrs := map[string]any{}
			for _, a := range s.attributes {
				attrs[a.name] = a.values
			}
			body["attributes"] = attrs
		}
		if s.pgtIOU != "" {
			body["proxyGrantingTicket"] = s.pgtIOU
		}
		if len(s.proxies) > 0 {
			body["proxies"] = s.proxies
		}
		writeJSON(w, map[string]any{"serviceResponse": map[string]any{"authenticationSuccess": body}})
		return
	}
	var b bytes.Buffer
	b.WriteString("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:authenticationSuccess>\n")
	elem(&b, "    ", "user", s.user)
	if s.attributes != nil {
		b.WriteString("    <cas:attributes>\n")
		for _, a := range s.attributes {
			for _, v := range a.values {
				elem(&b, "      ", a.name, v)
			}
		}
		b.WriteString("    </cas:attributes>\n")
	}
	if s.pgtIOU != "" {
		elem(&b, "    ", "proxyGrantingTicket", s.pgtIOU)
	}
	if len(s.proxies) > 0 {
		b.WriteString("    <cas:proxies>\n")
		for _, p := range s.proxies {
			elem(&b, "      ", "proxy", p)
		}
		b.WriteString("    </cas:proxies>\n")
	}
	b.WriteString("  </cas:authenticationSuccess>\n</cas:serviceResponse>\n")
	writeXML(w, b.Bytes())
}

// writeFailure writes an authenticationFailure (or, for the proxy
// endpoint, proxyFailure). CAS answers failures with HTTP 200.
func writeFailure(w http.ResponseWriter, format, element string, e *casError) {
	if format == "JSON" {
		writeJSON(w, map[string]any{"serviceResponse": map[string]any{element: map[string]string{"code": e.code, "description": e.desc}}})
		return
	}
	var b bytes.Buffer
	b.WriteString("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:" + element + " code=\"" + e.code + "\">")
	xml.EscapeText(&b, []byte(e.desc))
	b.WriteString("</cas:" + element + ">\n</cas:serviceResponse>\n")
	writeXML(w, b.Bytes())
}

func writeProxySuccess(w http.ResponseWriter, format, pt string) {
	if format == "JSON" {
		writeJSON(w, map[string]any{"serviceResponse": map[string]any{"proxySuccess": map[string]string{"proxyTicket": pt}}})
		return
	}
	var b bytes.Buffer
	b.WriteString("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:proxySuccess>\n")
	elem(&b, "    ", "proxyTicket", pt)
	b.WriteString("  </cas:proxySuccess>\n</cas:serviceResponse>\n")
	writeXML(w, b.Bytes())
}

// elem writes <cas:name>text</cas:name>, escaping the text.
func elem(b *bytes.Buffer, indent, name, text string) {
	b.WriteString(indent + "<cas:" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</cas:" + name + ">\n")
}

func writeXML(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
