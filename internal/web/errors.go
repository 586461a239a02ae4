package web

import (
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// Error writes an error page in the tenant's look, with the request id
// the user can quote to support.
func (p *Pages) Error(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	p.Render(w, status, PageMessage, MessageView{View: View{Title: title, TenantName: tenant.FromContext(r.Context()).Name},
		Message: msg, IsError: true, RequestID: reqinfo.From(r.Context()).ID})
}

// InternalError logs err (under component, with the request id) and shows
// the generic error page: the cause stays in the log, never on the page.
func (p *Pages) InternalError(w http.ResponseWriter, r *http.Request, log *slog.Logger, component string, err error) {
	log.ErrorContext(r.Context(), component, "err", err, "request_id", reqinfo.From(r.Context()).ID)
	p.Error(w, r, http.StatusInternalServerError, "Sign-in error", "Something went wrong on our side.")
}
