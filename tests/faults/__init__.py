"""The fault suite: issue 12 ("Never lose a request, a write or a standup"), item by item.

Every item has a spec that failed before its fix and passes after. They run through the real
CLI (a new process) and the real server (`batchbot serve`, or the same Slack app in process
through WSGI: `conftest.py`), on real git repositories, SQLite and the fake Slack; faults are
real too (a `git` on PATH that sleeps or stops, kill -9, a lock held by another process, git
missing from PATH).

Items (→ the specs that cover them):

1. Acks starve behind a slow response_url or slow git.
   → test_ack_faults.py::test_acks_stay_fast_while_response_urls_and_git_are_slow
2. A control character in a value breaks history for good.
   → test_store_faults.py::test_a_control_character_in_a_commit_never_breaks_history (git
     output read safely); test_values.py::test_control_characters_are_refused_in_values,
     ::test_a_nul_byte_is_refused_on_the_command_path,
     ::test_hand_edited_control_characters_are_reported,
     ::test_every_command_that_writes_refuses_control_characters (refused at the edge of the
     core, and by every write);
     test_command_fuzz.py (history still reads after any accepted change);
     test_http_fuzz.py::test_a_user_name_with_control_characters_still_commits_as_that_person
3. Request shapes lost (404 "unhandled request").
   → test_http_fuzz.py::test_slash_command_mentioning_payload_is_answered,
     ::test_any_signed_slash_command_gets_an_ack_and_an_answer,
     ::test_any_signed_interaction_gets_an_ack_and_an_answer,
     ::test_batchbot_serve_answers_any_signed_slash_command
4. Write → commit not crash-safe (kill -9, full disk).
   → test_store_faults.py::test_kill_after_the_branch_moved_is_finished_by_the_next_update,
     ::test_kill_before_the_branch_moved_changes_nothing_and_blocks_nothing
5. Commits git will drop (rebase in progress, detached HEAD).
   → test_store_faults.py::test_an_update_during_a_rebase_is_refused,
     ::test_an_update_on_a_detached_head_is_refused
6. Standups lost on database errors.
   → tests/test_standup_db_locked.py (the database locked by another process):
     ::test_slash_standup_with_the_database_locked_says_not_saved_and_quotes_the_text,
     ::test_a_dm_answer_with_the_database_locked_is_quoted_back_not_saved,
     ::test_skip_with_the_database_locked_says_nothing_was_saved
7. No git, no commit, no warning.
   → test_store_faults.py::test_without_git_on_path_an_update_is_refused_and_works_once_git_is_back
8. Unsigned junk parsed before the signature check.
   → test_unsigned_junk.py (400/401, one log line, no traceback; in process and via serve)
9. CLI tracebacks on file-system errors and on a closed pipe.
   → tests/test_cli_conventions.py::test_closed_pipe_exits_quietly_without_a_traceback,
     ::test_full_disk_on_output_is_one_line_and_exit_1,
     ::test_unwritable_lock_place_is_one_line_and_exit_1
10. Values accepted that should not be.
   → test_values.py (done at 50 %, beyond 64 bits, 1e308/nan/inf, an empty plan, control
     characters typed or hand-edited, a symlinked plan written through the link, the update
     form's "done")
11. SIGTERM drops in-flight work.
   → test_ack_faults.py::test_sigterm_finishes_the_updates_in_flight
12. Server paths in Slack errors; a raw <!channel> in a fallback text; `jobs run bogus`
    creates batchbot.db; /healthz says ok on a broken plan.
   → test_slack_replies.py (paths, fallback texts, jobs); /healthz: the lead's spec

Issue 18 ("What goes out is true and safe"), the items about text, dates and metrics:
- 2. User text published raw to GitHub (mentions, HTML, comments, links).
   → test_text_safety.py::test_user_text_in_every_part_of_the_weekly_report_is_escaped_for_github,
     ::test_standup_text_and_names_in_the_issue_body_never_mention_or_mark
- 5. Old metrics count as this week's (and the old JSON's zeros as Wins).
   → tests/test_metric_dates.py
- 6. Out-of-range dates crash reads (OverflowError in the gantt, the weeks, a forecast).
   → test_read_fuzz.py::test_a_plan_that_validates_can_be_read_by_every_read_command (a
     hypothesis property over generated plans and "todays"),
     ::test_dates_out_of_range_are_refused_when_typed,
     ::test_validate_refuses_a_hand_edited_start_past_2200_and_says_the_range
- 10. Unicode digits crash the record words. → tests/test_ascii_numbers.py
- 11. Mentions leak or break in Slack replies.
   → test_text_safety.py::test_a_channel_mention_in_a_batch_name_never_reaches_status_blocks_raw,
     ::test_a_blocker_owner_typed_the_way_slack_sends_it_is_kept_as_the_user_id

And the property-based fuzzers, bounded for CI (derandomized, so a failure reproduces):
- test_command_fuzz.py — `bot.commands.handle` on a real git repo: no exception escapes, a
  refusal leaves the plan file and HEAD as they were, history reads after any change;
- test_http_fuzz.py — signed slash commands and interactions through the real Slack edge;
- test_read_fuzz.py — any plan that validates is read by every read command without an error;
- test_report_fuzz.py — the weekly report builder over any valid plan, history, metrics and
  standups: markdown and Block Kit render, no raw mention, HTML, link or marker from user text.
`batchbot doctor` (tests/test_doctor.py) finds most of these states before people do.
"""
