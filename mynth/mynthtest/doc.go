// Package mynthtest is a faithful, stateful emulator of the Mynth API, for
// tests and for local work and CI (`mynthform emulator`, `mynthform
// --emulator`).
//
// It owns the server side of the API as documented in the project's API
// notes: creation, the three task endpoints, uploads, image files, tokens,
// the owner-only rule, error bodies and the task lifecycle. It imports only
// the API types of package mynth, never its client, so that the client is
// tested against an independent implementation.
//
// # Serving it
//
// New returns an *Emulator, an http.Handler. NewServer serves one over real
// HTTP on 127.0.0.1 for the length of a test; Start serves one on any
// address until Running.Close (this is what the CLI uses).
//
//	srv := mynthtest.NewServer(t, mynthtest.Options{})
//	client := mynth.NewClient(mynth.Options{BaseURL: srv.URL, Token: "mak_test"})
//
// # Endpoints
//
//	POST /image/generate    API key      201 {"taskId":"tsk_...","access":{"publicAccessToken":"pat_..."}}
//	                                      (access only when the request sets access.pat.enabled = true)
//	GET  /tasks/:id         API key      200 the full task; owner only
//	GET  /tasks/:id/status  key or PAT   200 {"status":"pending"}
//	GET  /tasks/:id/results key or PAT   200 {"images":[...]} ([] while pending and for failed tasks)
//	POST /image/upload      API key      200 {"urls":[...]}: multipart field "images", JPEG, PNG or WEBP,
//	                                      1 KB to 10 MB each, at most 10 files (see Uploads)
//	GET  /images/<id>.png   none         200 image/png, the image of a result
//	GET  /uploads/<name>    none         200 an uploaded file
//
// The full task of a task the emulator creates also carries apiKeyId and
// userId, as the official SDK's task type has them (mynthio/mynth-sdk,
// src/types.ts): ids derived from the account, the same for all its tasks,
// never the key. A seeded task has the fields its seed gives it.
//
// Errors have the flat body that Mynth's official JavaScript SDK reads
// (mynthio/mynth-sdk, src/client.ts): {"error":"text","message":"text",
// "code":...,"field":...}, error and message the same text, field only on
// a validation error. (Some documentation pages nest the same fields under
// "error"; the Go client reads both.) The codes: 400 validation_error with
// field, 401 unauthorized, 402
// insufficient_balance (accounts with a seeded balance), 404 not_found (also
// for an unknown route), 405 method_not_allowed (with Allow) for a known
// path and a wrong method, 413 payload_too_large for a creation body over
// 1 MiB, and the injected faults below.
//
// # Browsers
//
// The documentation presents the PAT as safe for polling from a browser.
// GET /tasks/:id/status, GET /tasks/:id/results and the image and upload
// files answer every request, errors and faults included, with
// Access-Control-Allow-Origin: *, and answer a CORS preflight (OPTIONS)
// with 204, the allowed methods and the Authorization header, without a
// token and without counting it. Creation, the full task and uploads take
// the API key, which belongs on a server: they answer no preflight (405),
// so a page that tries them is stopped by its browser.
//
// # Tokens and accounts
//
// Every request but the image files needs Authorization: Bearer <token>.
// Without a seed, any token that starts with mak_ is an API key, each key
// its own account: a task is visible only to the key that created it;
// another account's task is 404, exactly like a missing one. A seed may set
// "strict": true to accept only the keys of its accounts.
//
// A Public Access Token (pat_...) is issued at creation when asked for. It
// works only on GET /tasks/:id/status and /results of its own task: on GET
// /tasks/:id, on creation and on upload it is 401, and so it is for another
// task. Keys and PATs are held only as sha256 hashes; no answer, log line or
// store ever contains one.
//
// Ids: tasks are tsk_ followed by 26 ULID characters (time then
// randomness, Crockford base32), images img_ and 26 characters derived from
// the task id and the image's index, PATs pat_ and 32 random characters.
// Times are ISO 8601 in UTC with milliseconds ("2025-01-15T10:30:00.000Z").
//
// # Validation
//
// POST /image/generate checks every documented limit and answers 400
// validation_error naming the first bad field: prompt (a string, or
// {positive, negative?, enhance?}) of 1 to 8192 characters ("prompt",
// "prompt.positive", "prompt.negative"); enhance false, "prefer_magic" or
// "prefer_native" ("prompt.enhance"); model a non-empty string (any model
// id is accepted); size a preset (auto, square, portrait, landscape,
// portrait_tall, landscape_wide, instagram, any case), "WxH" with sides 1 to 4096, or an object of type
// resolution (width, height 1 to 4096, mode?), aspect_ratio (aspectRatio
// "W:H", scale "0.5k", "1k", "2k" or "4k") or auto (prefer?) ("size",
// "size.width", "size.type", ...); count an integer 1 to 100; inputs at most
// 20, each an http(s) URL or {type:"image", role: reference|context|init,
// source:{type:"url", url}} ("inputs[1].role"); output.format png, jpg or
// webp and output.quality an integer 0 to 100; webhook.custom at most 5, each
// with an http(s) url; content_rating.levels 2 to 7, each with a value of 1
// to 24 characters and a description of 1 to 150; metadata an object of at most 2 KB (2048 bytes of compact
// JSON); access.pat.enabled a boolean. Unknown fields are accepted.
//
// Input URLs are then checked for where they point: a URL of the
// emulator itself (its base URL) must name an uploaded file or an image of
// a result that it serves, and any other URL must be https; otherwise 400
// validation_error on "inputs[N]" (or "inputs[N].source.url").
//
// # Uploads
//
// POST /image/upload takes up to 10 files in the multipart field
// "images", each 1 KB to 10 MB, and decides the type by content, never by
// name: a PNG or JPEG must decode whole (a PNG signature on anything else
// is refused), a WEBP must have a sound RIFF container whose first chunk
// is VP8, VP8L or VP8X (the standard library has no WEBP decoder, so its
// pixels are not checked). A refusal is 400 validation_error naming the
// file, "images[N]" as field and images[N] ("name") in the message; more
// than 10 files or none is validation_error on "images". Nothing of a
// refused request is kept. The answer is {"urls":[...]}, one URL per file
// in order, <base URL>/uploads/upl_<ULID>.<png|jpg|webp>, served without
// authentication with the file's type. SampleImage makes files the
// endpoint takes, for tests.
//
// The task's request is the body as submitted (compacted; fields and their
// order as the caller sent them, no defaults filled in), so that a string
// prompt comes back as a string and an object prompt as an object.
//
// # Lifecycle and failure rules
//
// A created task is pending. Options.Delay after its creation it settles;
// nothing runs in the background: the state is worked out when the task is
// read, from its creation time (with Delay 0, the first read after creation
// already sees it settled). The prompt (positive or negative text) chooses
// how it settles:
//
//   - [[fail]]: the task ends failed, with no result.
//   - [[fail-image]]: the task completes with its last image failed
//     ({"status":"failed","error":"the emulator failed this image ..."},
//     the error a string as in the SDK's types); the others succeed. With
//     count 1 its only image fails.
//   - [[pending]]: the task stays pending for ever (for wait timeouts).
//   - otherwise the task completes with count images, all succeeded.
//
// The result: model is the request's model, or DefaultModel for "auto" or
// none. Every succeeded image has the size of the request (square and auto
// 1024x1024, landscape 1536x1024, portrait 1024x1536, portrait_tall
// 864x1536, landscape_wide 1536x864, instagram 1080x1350,
// "WxH" and resolution objects as given, aspect_ratio objects with the
// longer side set by the scale, 1k = 1024, and the other by the ratio, auto
// objects the size of their prefer preset or 1024x1024), a URL
// <base URL>/images/<image id>.png and an exact cost by model (PriceTable):
//
//	google/gemini-3.1-flash-image  0.01250000  (also "auto")
//	black-forest-labs/flux.2-dev   0.00800000
//	xai/grok-imagine-image         0.02000000
//	any other model                0.01250000  (DefaultPrice)
//
// cost.images is the sum over the succeeded images, cost.total is
// cost.images plus the task fee, which is 0: cost.fee is always there,
// "0.00000000". size_auto is {"source":"mynth","value":"WxH"} when the size
// was auto (a missing size, "auto", or an auto object); prompt_enhance is
// {"source":"mynth"|"native","positive":...} when prompt.enhance asked for
// it (prefer_magic and prefer_native); each succeeded image carries
// content_rating {"mode":"default","level":"sfw"} when
// content_rating.enabled is true, or {"mode":"custom","level": the first
// level's value} with custom levels. Results are a pure function of the
// task id and its request.
//
// # Images
//
// GET /images/<id>.png serves, without authentication, a real PNG of the
// image's stated size: a grid of flat coloured rectangles (3 to 7 rows by 2
// to 8 columns) whose colours and shape derive from a hash of the image id
// (RenderPNG), so that images differ from each other and the
// same id always gives the same bytes. Renders are cached. Image links are
// stored relative ("/images/<id>.png") and made absolute when served, with
// Options.BaseURL (set by NewServer and Start) or the request's Host; a
// seeded result may use relative links too, or absolute links of its own.
//
// # Seed files and the store
//
// A seed file (Options.Seed, LoadSeed, `--seed FILE`) preloads accounts and
// their tasks:
//
//	{
//	  "version": 1,
//	  "strict": false,
//	  "accounts": [
//	    {
//	      "api_key": "mak_demo",
//	      "tasks": [
//	        {
//	          "id": "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP",
//	          "status": "completed",
//	          "type": "image.generate",
//	          "createdAt": "2025-01-15T10:30:00.000Z",
//	          "updatedAt": "2025-01-15T10:30:12.000Z",
//	          "request": {"prompt": "Editorial product photo of a ceramic mug", "size": "landscape", "count": 1},
//	          "result": {"model": "google/gemini-3.1-flash-image",
//	            "images": [{"status": "succeeded", "id": "img_123", "url": "/images/img_123.png",
//	                        "cost": "0.01250000", "size": "1536x1024"}],
//	            "cost": {"images": "0.01250000", "total": "0.01250000"}},
//	          "pat": "pat_demo_token"
//	        }
//	      ]
//	    }
//	  ]
//	}
//
// Each task is in the shape GET /tasks/:id returns; every field the
// emulator does not know is kept and served as it is. Three fields are the
// seed's own and are never served: "pat" (the task's PAT, or "pat_sha256",
// its hex sha256), and "emulate": true, which hands a pending task to the
// lifecycle above (it settles Delay after its createdAt, with a result
// computed from its request). A seeded pending task without it stays
// pending. An account may give "api_key_sha256" (the hex sha256 of the key)
// instead of "api_key", and a "balance" in USD ("0.05"): each creation then
// takes count × the model's price from it up front, and a creation that
// costs more than what remains is refused with 402 insufficient_balance
// (without a balance an account is unlimited). Unknown top-level fields are
// an error.
//
// The store (Options.StorePath, `--store FILE`) is loaded at start when it
// exists (a seed is then ignored) and rewritten after every change (a
// creation, a task settling, a task added): a temporary file, fsync, rename
// over the store, fsync of its directory, so that a crash leaves the old or
// the new store, never a torn one. A store is a valid seed file: it keeps
// keys and PATs only as api_key_sha256 and pat_sha256, marks tasks still
// pending in the lifecycle with "emulate": true, keeps what remains of each
// balance, and records in "addr" the
// address it last listened on (Start reuses it when asked for a random
// port, so that image URLs stay the same from one run to the next). It also
// keeps the uploaded files, in "uploads": [{"name", "data" (base64)}], so
// that an uploaded URL stays valid across restarts (a seed may give them
// too). The store keeps one task per line, so that it diffs well.
// Every change rewrites the whole store (about 60 ms for 10,000 tasks), so a
// store is meant for thousands of tasks, not millions.
//
// # Fault injection
//
// Options.Faults (and SetFaults, at run time) inject failures per request,
// overall or per endpoint (EndpointGenerate "generate", EndpointTask
// "task", EndpointStatus "status", EndpointResults "results",
// EndpointUpload "upload", EndpointImage "image"):
//
//   - latency: the answer comes Faults.SlowLatency late (default 2s);
//   - 500, 502 (an HTML body, as from a proxy), 503;
//   - 429 rate_limited with Retry-After in seconds (Faults.RetryAfter,
//     default 1);
//   - drop: the connection is closed without an answer;
//   - truncate: the status and headers, then half the body, then the
//     connection is closed (no Content-Length: only a strict decoder
//     notices);
//   - malformed: the right status with a body that is not what the endpoint
//     returns (HTML instead of JSON, text instead of a PNG);
//   - drop_after_create: the task is created (on upload, the files are
//     stored), then the connection is closed (elsewhere it is a drop).
//
// On creation, 5xx, 429 and drop create nothing; truncate, malformed and
// drop_after_create create the task before failing the answer, so that
// the client cannot know whether it exists (an unknown outcome, never to be
// retried). Faults.Next and FaultRule.Next queue faults for the next
// requests, in order, for tests that need an exact sequence; Rate draws them
// at random from Kinds with a random source seeded by Options.RandSeed, so
// that a run is repeatable. Options.Latency and Options.Jitter delay every
// request. Stats counts requests, faults and creations.
//
// Note that net/http's client transport silently resends an idempotent
// request (a GET) once when a reused keep-alive connection closes before any
// answer: a single drop on a GET can go unseen by the client code. Queue two
// drops in a row, or use a fresh connection, to be sure the client sees one.
//
// Every Emulator keeps its own state; there is no package-level mutable
// state, and every method is safe for concurrent use.
package mynthtest
