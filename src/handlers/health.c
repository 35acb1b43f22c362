/* Operator endpoints: GET /healthz and GET /metrics. */
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/metrics.h"
#include "cordgate/store.h"

enum cg_err
handle_health_get(struct request *r)
{
    enum cg_err e = store_ping(r->ctx->db, r->arena, r->deadline_ms);

    if (e != CG_ERR_OK)
        return e == CG_ERR_INTERNAL ? CG_ERR_DATABASE_UNAVAILABLE : e;
    return buf_append_str(&r->out, "{\"status\":\"ok\",\"database\":\"ok\"}")
               ? CG_ERR_INTERNAL
               : CG_ERR_OK;
}

enum cg_err
handle_metrics_get(struct request *r)
{
    r->response_type = "text/plain; version=0.0.4; charset=utf-8";
    return metrics_render(r->ctx->metrics, &r->out) ? CG_ERR_INTERNAL
                                                    : CG_ERR_OK;
}
