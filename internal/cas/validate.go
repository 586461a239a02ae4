package cas

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// validated is a ticket that passed validation, with what the response
// needs.
type validated struct {
	ticket *storage.CASTicket
	app    *apps.App
	user   *storage.User
	grant  *apps.Grant
}

// pgtLifetime bounds a proxy-granting ticket (its SSO session may end it
// sooner: logout deletes the session's tickets).
const pgtLifetime = 2 * time.Hour

// check validates the ticket of a validation request (CAS protocol
// section 2.5/2.6): present, known, unused, unexpired, issued for this
// service (a mismatch still spends it), fresh when renew is asked; proxy
// tickets only where proxies are accepted.
func (s *Server) check(r *http.Request, q url.Values, acceptProxy bool) (*validated, *casError) {
	service, ticket := q.Get("service"), q.Get("ticket")
	if service == "" || ticket == "" {
		return nil, &casError{InvalidRequest, "The service and ticket parameters are both required."}
	}
	if len(ticket) > 256 {
		return nil, &casError{InvalidTicket, "The ticket is not recognized."}
	}
	switch {
	case strings.HasPrefix(ticket, "ST-"):
	case strings.HasPrefix(ticket, "PT-"):
		if !acceptProxy {
			return nil, &casError{InvalidTicketSpec, "Proxy tickets are validated at proxyValidate, not serviceValidate."}
		}
	default:
		return nil, &casError{InvalidTicketSpec, "The ticket is neither a service nor a proxy ticket."}
	}
	t := tenant.FromContext(r.Context())
	now := s.Now()
	// The application first (from memory), to know whether the user is
	// needed with its memberships: only when the access policy reads them.
	app, appErr := s.appFor(r.Context(), t.ID, service)
	orgs := appErr == nil && app != nil && apps.NeedsOrgs(&app.Application)
	// The ticket is spent and its user read in one round trip.
	tk, u, err := s.Store.CASTickets().ConsumeWithUser(r.Context(), t.ID, secret.Hash(ticket), now, orgs)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &casError{InvalidTicket, "Ticket " + truncate(ticket, 64) + " not recognized."}
	}
	if err != nil {
		s.Log.ErrorContext(r.Context(), "cas: consume ticket", "err", err)
		return nil, &casError{InternalError, "Internal error."}
	}
	switch {
	case !tk.UsedAt.IsZero():
		return nil, &casError{InvalidTicket, "Ticket " + truncate(ticket, 64) + " has already been used."}
	case !now.Before(tk.ExpiresAt):
		return nil, &casError{InvalidTicket, "Ticket " + truncate(ticket, 64) + " has expired."}
	case tk.Service != service:
		return nil, &casError{InvalidService, "The ticket was not issued for this service."}
	case q.Get("renew") == "true" && !tk.NewLogin:
		return nil, &casError{InvalidTicketSpec, "The ticket did not come from a new sign-in, as renew=true asks."}
	}
	if appErr != nil {
		s.Log.ErrorContext(r.Context(), "cas: service lookup", "err", appErr)
		return nil, &casError{InternalError, "Internal error."}
	}
	if app == nil || app.ID != tk.ApplicationID {
		return nil, &casError{InvalidService, "The service is no longer registered."}
	}
	if u == nil || u.Disabled {
		return nil, &casError{InvalidTicket, "The ticket's user can no longer sign in."}
	}
	grant, err := apps.CheckAccess(r.Context(), s.Store, &app.Application, app.Mappings, u)
	if err != nil {
		return nil, &casError{InvalidTicket, "The ticket's user may no longer use this service."}
	}
	v := &validated{ticket: tk, app: app, user: u, grant: grant}
	s.recordLogin(r.Context(), ticket, v)
	return v, nil
}

// userID is what <cas:user> holds, as the application chose.
func userID(v *validated) string {
	u := v.user
	switch v.app.CAS.UserAttribute {
	case "email":
		if u.Email != "" {
			return u.Email
		}
	case "mobile":
		if u.Mobile != "" {
			return u.Mobile
		}
	case "employee_id":
		if u.EmployeeID != "" {
			return u.EmployeeID
		}
	case "account_name":
		if v.grant != nil && v.grant.Account != nil {
			return v.grant.Account.AccountName
		}
	}
	return u.UserName
}

// attributes are the CAS 3.0 attributes: the authentication facts, then
// the application's mapped claims for cas.
func attributes(v *validated) []attribute {
	out := []attribute{
		{"authenticationDate", []string{v.ticket.AuthTime.UTC().Format("2006-01-02T15:04:05.000Z")}},
		{"longTermAuthenticationRequestTokenUsed", []string{"false"}},
		{"isFromNewLogin", []string{strconv.FormatBool(v.ticket.NewLogin)}},
	}
	src := apps.Source{User: v.user}
	if v.grant != nil {
		src.Account, src.Roles = v.grant.Account, v.grant.Roles
	}
	for i := range v.app.Mappings {
		m := &v.app.Mappings[i]
		if !m.Goes(apps.InCAS) {
			continue
		}
		switch val := m.Resolve(&src); {
		case val.IsStr:
			out = append(out, attribute{m.Claim, []string{val.Str}})
		case val.IsList:
			out = append(out, attribute{m.Claim, val.Strs})
		case val.Raw != nil:
			out = append(out, attribute{m.Claim, []string{rawText(val.Raw)}})
		}
	}
	return out
}

// rawText is a stored JSON scalar as text: strings unquoted.
func rawText(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if unq, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		return unq
	}
	return s
}

func format(q url.Values) string {
	if strings.EqualFold(q.Get("format"), "JSON") {
		return "JSON"
	}
	return "XML"
}

// validate1 is CAS 1.0 /validate: "yes\n<user>\n" or "no\n\n".
func (s *Server) validate1(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	v, e := s.check(r, r.URL.Query(), false)
	if e != nil {
		w.Write([]byte("no\n\n"))
		return
	}
	w.Write([]byte("yes\n" + userID(v) + "\n"))
}

func (s *Server) serviceValidate(w http.ResponseWriter, r *http.Request) {
	s.validate(w, r, false, false)
}
func (s *Server) proxyValidate(w http.ResponseWriter, r *http.Request) { s.validate(w, r, true, false) }
func (s *Server) serviceValidate3(w http.ResponseWriter, r *http.Request) {
	s.validate(w, r, false, true)
}
func (s *Server) proxyValidate3(w http.ResponseWriter, r *http.Request) { s.validate(w, r, true, true) }

// validate is CAS 2.0/3.0 validation; v3 adds attributes.
func (s *Server) validate(w http.ResponseWriter, r *http.Request, acceptProxy, v3 bool) {
	q := r.URL.Query() // parsed once for the whole request
	f := format(q)
	v, e := s.check(r, q, acceptProxy)
	if e != nil {
		writeFailure(w, f, "authenticationFailure", e)
		return
	}
	out := &success{user: userID(v), proxies: v.ticket.Proxies}
	if v3 {
		out.attributes = attributes(v)
	}
	if pgtURL := q.Get("pgtUrl"); pgtURL != "" {
		if !v.app.CAS.MatchProxyCallback(pgtURL) {
			writeFailure(w, f, "authenticationFailure", &casError{InvalidProxyCallback, "The pgtUrl is not a registered https proxy callback of this service."})
			return
		}
		// A callback that cannot be reached gets no proxy-granting
		// ticket; the validation itself still succeeds (section 2.5.4).
		out.pgtIOU = s.grantPGT(r.Context(), v, pgtURL)
	}
	writeSuccess(w, f, out)
}

// grantPGT issues a proxy-granting ticket, hands it to pgtURL with its
// IOU, and returns the IOU ("" when the callback failed).
func (s *Server) grantPGT(ctx context.Context, v *validated, pgtURL string) string {
	pgt, iou := "PGT-"+idgen.Alnum(48), "PGTIOU-"+idgen.Alnum(48)
	now := s.Now()
	t := &storage.CASTicket{TenantID: v.ticket.TenantID, Hash: secret.Hash(pgt), Kind: storage.TicketProxyGranting,
		ApplicationID: v.app.ID, Service: pgtURL, UserID: v.user.ID, SID: v.ticket.SID, AuthTime: v.ticket.AuthTime,
		Proxies: v.ticket.Proxies, CreatedAt: now, ExpiresAt: now.Add(pgtLifetime)}
	if err := s.Store.CASTickets().Create(ctx, t); err != nil {
		s.Log.ErrorContext(ctx, "cas: store proxy-granting ticket", "err", err)
		return ""
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, withParam(withParam(pgtURL, "pgtIou", iou), "pgtId", pgt), nil)
	if err != nil {
		return ""
	}
	res, err := s.Client.Do(req)
	if err != nil {
		s.Log.WarnContext(ctx, "cas: proxy callback failed", "pgt_url", pgtURL, "err", err)
		return ""
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 && res.StatusCode/100 != 3 {
		s.Log.WarnContext(ctx, "cas: proxy callback refused", "pgt_url", pgtURL, "status", res.StatusCode)
		return ""
	}
	return iou
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
