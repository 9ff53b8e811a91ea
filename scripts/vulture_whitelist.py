"""Names vulture cannot see being used; each line says who uses it.

Read by scripts/deadcode, never imported. Typer commands and pydantic
validators are skipped by their decorators instead ([tool.vulture] in
pyproject.toml).
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Library configuration and hooks, called or read by the library
_.display_name_raw  # typer/click Argument: the name shown in help (cli/usage.py)
_._usage_display_name  # typer Argument hook: its form in the usage line
_.model_config  # pydantic: each model's configuration
_.impl  # SQLAlchemy TypeDecorator: the column type UtcDateTime wraps
_.cache_ok  # SQLAlchemy TypeDecorator: safe in the compiled-statement cache
_.load_dialect_impl  # SQLAlchemy TypeDecorator hook: DATETIME(6) on MySQL
_.process_bind_param  # SQLAlchemy TypeDecorator hook: aware -> naive UTC
_.process_result_value  # SQLAlchemy TypeDecorator hook: naive -> aware UTC
_.down_revision  # Alembic: each migration names its parent
_.branch_labels  # Alembic: migration header
_.depends_on  # Alembic: migration header
_.downgrade  # Alembic: run by `alembic downgrade`
_.whitespace_split  # shlex.shlex setting (actions/template.py)
_.banner_timeout  # paramiko.Transport setting (transport/ssh.py)
_.missing_host_key  # paramiko.MissingHostKeyPolicy hook (transport/ssh_errors)
_.validate_host_public_key  # asyncssh.SSHClient callback
_.data_received  # asyncssh.SSHClientSession callback
_.connection_lost  # asyncssh.SSHClientSession callback
_.daemon_threads  # socketserver setting (daemon/http.py)
_.address_family  # socketserver setting: the IPv6 server class
_.server_version  # http.server: the Server response header
_.do_GET  # http.server: GET dispatch
_.list_commands  # click Group hook: the names `ssop --help` lists (cli/lazy.py)
_.get_command  # click Group hook: a command by name, loaded on first use
_.__getattr__  # module hook: a table imported when first named (core/models)
_.log_message  # http.server hook, sent to logging instead of stderr
_.ResponseFormatJSONSchema  # typing only: named in a cast() string (analysis/llm)

# SQLModel columns ssop writes but never reads back itself
_.updated_at  # several tables: when the row last changed
_.notes  # actions.notes (migration 0001); dropping it needs a migration
_.disk_max_percent  # metric_samples: written by name from crawl/parse.py
_.cpu_n  # metric_hours/days: written and read by name (store/metric_hours.py)
_.cpu_sum  # metric_hours/days: written and read by name (store/metric_hours.py)
_.cpu_max  # metric_hours/days: written and read by name (store/metric_hours.py)
_.memory_n  # metric_hours/days: written and read by name (store/metric_hours.py)
_.memory_sum  # metric_hours/days: written and read by name (store/metric_hours.py)
_.memory_max  # metric_hours/days: written and read by name (store/metric_hours.py)
_.disk_n  # metric_hours/days: written and read by name (store/metric_hours.py)
_.disk_sum  # metric_hours/days: written and read by name (store/metric_hours.py)
_.disk_max  # metric_hours/days: written and read by name (store/metric_hours.py)
_.load_n  # metric_hours/days: written and read by name (store/metric_hours.py)
_.load_sum  # metric_hours/days: written and read by name (store/metric_hours.py)
_.failed_unit_count  # metric_samples: written by name from crawl/parse.py
_.crawl_duration_s  # metric_samples: written by name from crawl/service.py
_.closed_at  # approval_requests: set when a request closes
_.cleared_by  # auto_demotions: set by VerifyRepo when a demotion is cleared

# Read indirectly
_.last_started_at  # StepState: asdict() into /health (daemon/board.py)
_.last_finished_at  # StepState: asdict() into /health
_.last_duration_s  # StepState: asdict() into /health
_.last_error  # StepState: asdict() into /health
_.running_for_s  # StepState: asdict() into /health while a step runs
_.LOST  # DaemonState: rows marked "lost" are read back as DaemonState(status)

# State a caller observes; today only tests read it
_.model_called  # AnalysisOutcome: whether the model was asked this time
_.delivered  # WebhookNotifier: events delivered so far
_.drain  # WebhookNotifier: wait until the queue is handled
_.retry_in  # queue Link: seconds until Redis is tried again
_.journal_size  # RedisWorkQueue: notices awaiting confirmation
_.http_port  # DaemonRuntime: the port /health bound (app.port may be 0)

# Used outside ssop/: by bench/crawl_methods.py and the scripts' local tests
_.combined_readings_command  # the crawl's readings command without auth

# Built and tested, not yet reached from any shell (see the branch report)
_.effectiveness  # VerificationService: verdicts per action, for reports
_.checked  # Effectiveness: verdicts counted
_.forget_host  # MetricsRegistry: drop a removed server's gauges

# Textual calls these by name: class settings, compose/mount hooks, on_<message>
# handlers and action_<name> methods named by key bindings (ssop/tui)
_.BINDINGS
_.DEFAULT_CSS
_.MODES
_.TITLE
_.action_answer
_.action_approve
_.action_back_or_quit
_.action_cancel
_.action_close
_.action_filter
_.action_floor
_.action_go_back
_.action_help
_.action_jump
_.action_reject
_.action_run
_.action_sort
_.action_theme
_.check_action
_.compose
_.on_data_table_row_highlighted
_.on_data_table_row_selected
_.on_input_submitted
_.on_live_screen_done
_.on_live_screen_loaded
_.on_option_list_option_selected
_.on_mount
_.on_screen_resume
_.sub_title
_.action_kind
_.action_window
# screens imported by name when first shown (ssop/tui/app.py _lazy)
_.ApprovalsScreen
_.ExecutionsScreen
_.FleetScreen
_.InsightsScreen
_.ReportsScreen
# counts a bulk-loaded history from scratch: bench/report_bench.py and the
# report tests' known data set (migration 0012 does the same in SQL)
_.fill_all
