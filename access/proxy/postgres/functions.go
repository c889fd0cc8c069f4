package postgres

import "strings"

// Functions are default-deny. A call runs only if it names a built-in
// function of pg_catalog on the reviewed allowlist below, or a function the
// target's configuration names (Options.AllowFunctions). Each family says
// why its functions only read. A name is on the list only if every
// pg_catalog function of that name (every overload) only reads: the proxy
// judges names, not signatures.
//
// Judged and left off on purpose (refused, with a reason, by
// refusedFuncs): functions that run SQL given as text, functions with side
// effects on the server (sequences, transaction ids, locks, notifications,
// replication slots, index maintenance, large-object writes, signals to
// other backends), and functions that read server files or the server's
// build and configuration files.
type funcFamily struct {
	why   string
	names string // space-separated
}

var allowedFamilies = []funcFamily{
	{"math: pure functions of their arguments; random draws from this session's generator only",
		`abs cbrt ceil ceiling degrees div exp floor gcd lcm ln log log10 min_scale mod pi power radians
		round scale sign sqrt trim_scale trunc width_bucket acos acosd asin asind atan atand atan2 atan2d
		cos cosd cot cotd sin sind tan tand sinh cosh tanh asinh acosh atanh random setseed`},
	{"string and binary: pure functions of their arguments",
		`ascii bit_length btrim char_length character_length chr concat concat_ws convert convert_from
		convert_to decode encode format initcap left length lower lpad ltrim md5 normalize is_normalized
		octet_length overlay parse_ident position quote_ident quote_literal quote_nullable regexp_count
		regexp_instr regexp_like regexp_match regexp_matches regexp_replace regexp_split_to_array
		regexp_split_to_table regexp_substr repeat replace reverse right rpad rtrim split_part starts_with
		string_to_array string_to_table strpos substr substring to_ascii to_hex translate unistr upper
		sha224 sha256 sha384 sha512 get_bit get_byte set_bit set_byte bit_count similar_to_escape
		like_escape textcat text_larger text_smaller`},
	{"type conversion in function notation: the built-in casts, pure",
		`bool int2 int4 int8 float4 float8 numeric text bpchar varchar name date time timetz timestamp
		timestamptz interval oid money char bit varbit to_regclass to_regproc to_regprocedure to_regoper
		to_regoperator to_regtype to_regnamespace to_regrole to_regcollation regclass`},
	{"date and time: pure, or read the clock",
		`age clock_timestamp date_bin date_part date_trunc extract isfinite justify_days justify_hours
		justify_interval make_date make_interval make_time make_timestamp make_timestamptz now
		statement_timestamp timeofday transaction_timestamp timezone overlaps`},
	{"formatting: pure",
		`to_char to_date to_number to_timestamp format_type`},
	{"json and jsonb: build, take apart and query values; pure (the _tz forms read the session's time zone)",
		`array_to_json row_to_json to_json to_jsonb json_build_array json_build_object json_object
		jsonb_build_array jsonb_build_object jsonb_object json_array_elements json_array_elements_text
		json_array_length json_each json_each_text json_extract_path json_extract_path_text
		json_object_keys json_populate_record json_populate_recordset json_to_record json_to_recordset
		json_strip_nulls json_typeof jsonb_array_elements jsonb_array_elements_text jsonb_array_length
		jsonb_each jsonb_each_text jsonb_extract_path jsonb_extract_path_text jsonb_object_keys
		jsonb_populate_record jsonb_populate_recordset jsonb_to_record jsonb_to_recordset jsonb_strip_nulls
		jsonb_typeof jsonb_set jsonb_set_lax jsonb_insert jsonb_pretty jsonb_path_exists jsonb_path_match
		jsonb_path_query jsonb_path_query_array jsonb_path_query_first jsonb_path_exists_tz
		jsonb_path_match_tz jsonb_path_query_tz jsonb_path_query_array_tz jsonb_path_query_first_tz`},
	{"aggregates: built-in transition functions over the rows read",
		`count sum avg min max array_agg string_agg bool_and bool_or every bit_and bit_or bit_xor corr
		covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
		regr_sxy regr_syy stddev stddev_pop stddev_samp variance var_pop var_samp mode percentile_cont
		percentile_disc json_agg json_object_agg jsonb_agg jsonb_object_agg xmlagg range_agg
		range_intersect_agg`},
	{"window functions: computed over the rows read",
		`row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value`},
	{"arrays and set-returning functions: pure",
		`array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position
		array_positions array_prepend array_remove array_replace array_to_string array_upper cardinality
		trim_array unnest generate_series generate_subscripts`},
	{"comparison and conditional: pure",
		`num_nonnulls num_nulls`},
	{"ranges, multiranges and enums: pure",
		`lower_inc upper_inc lower_inf upper_inf isempty range_merge int4range int8range numrange tsrange
		tstzrange daterange int4multirange int8multirange nummultirange tsmultirange tstzmultirange
		datemultirange multirange enum_first enum_last enum_range`},
	{"geometry: pure",
		`area center diameter height isclosed isopen npoints pclose popen radius width box circle line lseg
		path point polygon bound_box`},
	{"network types: pure, or read this session's own connection",
		`abbrev broadcast family host hostmask inet_merge inet_same_family masklen netmask network
		set_masklen macaddr8_set7bit inet_client_addr inet_client_port inet_server_addr inet_server_port`},
	{"uuid: draws random bytes",
		`gen_random_uuid`},
	{"text search reads: parse and rank values with the installed configurations (not ts_stat or ts_rewrite, which can run SQL given as text)",
		`to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd
		ts_headline ts_lexize ts_parse ts_token_type ts_debug setweight strip numnode querytree
		tsvector_to_array array_to_tsvector ts_delete ts_filter get_current_ts_config tsquery_phrase
		json_to_tsvector jsonb_to_tsvector`},
	{"xml values: parse and query values (not the *_to_xml functions, which run queries)",
		`xmlcomment xml_is_well_formed xml_is_well_formed_document xml_is_well_formed_content xpath
		xpath_exists xmlexists`},
	{"sequences, read only: currval and lastval read this session's own last value, the others the sequence's state; nextval and setval write",
		`currval lastval pg_sequence_last_value pg_sequence_parameters`},
	{"large objects, read only: lo_get reads an object's bytes under the role's privileges (lo_open, loread and the writers are refused)",
		`lo_get`},
	{"system information that only reads: this session, the catalogs and statistics under the role's privileges",
		`current_database current_schema current_schemas current_query current_setting version
		pg_backend_pid pg_blocking_pids pg_safe_snapshot_blocking_pids pg_conf_load_time
		pg_postmaster_start_time pg_is_in_recovery pg_jit_available pg_trigger_depth pg_listening_channels
		pg_notification_queue_usage pg_is_other_temp_schema pg_my_temp_schema has_table_privilege
		has_any_column_privilege has_column_privilege has_database_privilege
		has_foreign_data_wrapper_privilege has_function_privilege has_language_privilege
		has_parameter_privilege has_schema_privilege has_sequence_privilege has_server_privilege
		has_tablespace_privilege has_type_privilege pg_has_role row_security_active pg_table_is_visible
		pg_type_is_visible pg_function_is_visible pg_operator_is_visible pg_opclass_is_visible
		pg_opfamily_is_visible pg_collation_is_visible pg_conversion_is_visible pg_statistics_obj_is_visible
		pg_ts_config_is_visible pg_ts_dict_is_visible pg_ts_parser_is_visible pg_ts_template_is_visible
		pg_get_viewdef pg_get_functiondef pg_get_indexdef pg_get_constraintdef pg_get_expr pg_get_triggerdef
		pg_get_ruledef pg_get_serial_sequence pg_get_keywords pg_get_userbyid pg_get_statisticsobjdef
		pg_get_statisticsobjdef_columns pg_get_statisticsobjdef_expressions pg_get_partkeydef
		pg_get_partition_constraintdef pg_get_function_arguments pg_get_function_identity_arguments
		pg_get_function_result pg_get_function_sqlbody pg_get_function_arg_default obj_description
		col_description shobj_description pg_describe_object pg_identify_object
		pg_identify_object_as_address pg_get_object_address pg_typeof pg_column_size pg_column_compression
		pg_database_size pg_relation_size pg_table_size pg_indexes_size pg_total_relation_size
		pg_tablespace_size pg_size_pretty pg_size_bytes pg_relation_filenode pg_filenode_relation
		pg_partition_tree pg_partition_ancestors pg_partition_root pg_index_column_has_property
		pg_index_has_property pg_indexam_has_property pg_options_to_table pg_get_catalog_foreign_keys
		pg_column_is_updatable pg_relation_is_updatable pg_relation_is_publishable pg_get_publication_tables
		pg_char_to_encoding pg_encoding_to_char
		pg_client_encoding getdatabaseencoding pg_encoding_max_length pg_collation_for
		pg_collation_actual_version pg_settings_get_flags pg_current_snapshot pg_snapshot_xmin
		pg_snapshot_xmax pg_snapshot_xip pg_visible_in_snapshot txid_current_snapshot txid_snapshot_xmin
		txid_snapshot_xmax txid_snapshot_xip txid_visible_in_snapshot pg_xact_status txid_status
		pg_current_xact_id_if_assigned txid_current_if_assigned pg_xact_commit_timestamp
		pg_last_committed_xact pg_current_wal_lsn pg_current_wal_insert_lsn pg_current_wal_flush_lsn
		pg_last_wal_receive_lsn pg_last_wal_replay_lsn pg_last_xact_replay_timestamp pg_wal_lsn_diff
		pg_is_wal_replay_paused pg_get_wal_replay_pause_state`},
	{"waiting: pg_sleep only holds this session's backend, which any slow read can do too; statement_timeout (which a client may only lower) and the grant's deadline end it",
		`pg_sleep pg_sleep_for pg_sleep_until`},
}

// refusedFuncs say, for functions a client is likely to try, why they are
// not on the allowlist; any other function is refused as not reviewed.
// Every name here must stay off allowedFamilies (TestAllowlistDisjoint).
var refusedFuncs = map[string]string{}

var refusedFamilies = []funcFamily{
	{"it runs SQL given as text, which the proxy cannot check",
		`query_to_xml query_to_xmlschema query_to_xml_and_xmlschema cursor_to_xml cursor_to_xmlschema
		table_to_xml table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml schema_to_xmlschema
		schema_to_xml_and_xmlschema database_to_xml database_to_xmlschema database_to_xml_and_xmlschema
		ts_stat ts_rewrite crosstab crosstab2 crosstab3 crosstab4 connectby dblink dblink_exec dblink_open
		dblink_fetch dblink_send_query dblink_get_result dblink_connect dblink_connect_u`},
	{"it writes: it advances or sets a sequence",
		`nextval setval`},
	{"it writes: it assigns the transaction an id",
		`txid_current pg_current_xact_id`},
	{"it takes an advisory lock, which outlives the statement and blocks other sessions",
		`pg_advisory_lock pg_advisory_lock_shared pg_advisory_xact_lock pg_advisory_xact_lock_shared
		pg_try_advisory_lock pg_try_advisory_lock_shared pg_try_advisory_xact_lock
		pg_try_advisory_xact_lock_shared pg_advisory_unlock pg_advisory_unlock_shared pg_advisory_unlock_all`},
	{"it sends a notification to other sessions",
		`pg_notify`},
	{"it signals or acts on other backends or the server",
		`pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile pg_switch_wal
		pg_create_restore_point pg_promote pg_log_backend_memory_contexts pg_backup_start pg_backup_stop
		pg_wal_replay_pause pg_wal_replay_resume pg_stat_reset pg_stat_reset_shared
		pg_stat_reset_single_table_counters pg_stat_reset_single_function_counters pg_stat_reset_slru
		pg_stat_reset_replication_slot pg_stat_reset_subscription_stats pg_import_system_collations`},
	{"it changes server state: pg_nextoid takes an object id, pg_export_snapshot keeps a snapshot for other sessions",
		`pg_nextoid pg_export_snapshot`},
	{"it consumes, advances or holds a replication slot (peeking holds the slot against its consumer)",
		`pg_logical_slot_get_changes pg_logical_slot_get_binary_changes pg_logical_slot_peek_changes
		pg_logical_slot_peek_binary_changes pg_replication_slot_advance pg_create_physical_replication_slot
		pg_create_logical_replication_slot pg_drop_replication_slot pg_copy_physical_replication_slot
		pg_copy_logical_replication_slot pg_logical_emit_message pg_replication_origin_create
		pg_replication_origin_drop pg_replication_origin_advance pg_replication_origin_session_setup
		pg_replication_origin_session_reset pg_replication_origin_xact_setup`},
	{"it maintains an index, which writes",
		`brin_summarize_new_values brin_summarize_range brin_desummarize_range gin_clean_pending_list`},
	{"it creates, opens, writes or removes a large object, or a server file (only lo_get reads)",
		`lo_import lo_export lo_create lo_creat lo_unlink lo_from_bytea lo_put lo_truncate lo_truncate64
		lo_open lo_close lo_lseek lo_lseek64 lo_tell lo_tell64 lowrite loread`},
	{"it reads the server's files or build configuration",
		`pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file pg_ls_logdir pg_ls_waldir pg_ls_tmpdir
		pg_ls_archive_statusdir pg_ls_logicalsnapdir pg_ls_logicalmapdir pg_ls_replslotdir pg_config
		pg_show_all_file_settings pg_hba_file_rules pg_ident_file_mappings pg_current_logfile
		pg_control_checkpoint pg_control_system pg_control_init pg_control_recovery pg_file_write
		pg_file_unlink pg_file_rename`},
}

// refusedRelations are system views that read the server's files; they
// are refused by name in any schema.
var refusedRelations = map[string]string{
	"pg_hba_file_rules":      "it reads the server's pg_hba.conf",
	"pg_ident_file_mappings": "it reads the server's pg_ident.conf",
	"pg_file_settings":       "it reads the server's configuration files",
	"pg_config":              "it shows the server's build configuration",
}

// builtinAllowed is the allowlist by name; funcWhy says why a name is on it.
var builtinAllowed = map[string]string{}

func init() {
	for _, f := range allowedFamilies {
		for _, n := range strings.Fields(f.names) {
			builtinAllowed[n] = f.why
		}
	}
	for _, f := range refusedFamilies {
		for _, n := range strings.Fields(f.names) {
			refusedFuncs[n] = f.why
		}
	}
}
