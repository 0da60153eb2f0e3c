/* job_pool.c — child processes of this binary, at most N at a time (see job_pool.h).
 *
 * Wall-clock time is read here only for the progress line's ETA, which is never part of
 * a result. */
#include "job_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../engine/bl_assert.h"
#include "memory_estimate.h"

static volatile sig_atomic_t g_interrupted;

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    g_interrupted = 1;
}

uint32_t pool_default_workers(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online >= 1 && online <= 4096 ? (uint32_t)online : 1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Launches one job; a `run` gets --max-memory `memory_share` (its share of the machine:
 * the runs at once must fit together), unless that is NULL (the machine's is unknown). */
static pid_t launch(const pool_job *job, const char *memory_share)
{
    const char *argv[JOB_ARGS_MAX + 4];
    argv[0] = "brokerlab";
    uint32_t n = 0;
    while (n < JOB_ARGS_MAX && job->args[n] != NULL) {
        argv[n + 1] = job->args[n];
        n++;
    }
    BL_ASSERTF(job->args[n] == NULL || n < JOB_ARGS_MAX, "a job has too many arguments");
    if (memory_share != NULL && n > 0 && strcmp(job->args[0], "run") == 0) {
        argv[++n] = "--max-memory";
        argv[++n] = memory_share;
    }
    argv[n + 1] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* The child: default signal actions, its output into the log, then this binary. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int log = open(job->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (log < 0 || dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0) _exit(127);
    close(log);
    execv("/proc/self/exe", (char *const *)argv);
    _exit(127);
}

static void show_progress(const pool_options *options, bool tty, uint32_t done, uint32_t total,
                          uint32_t running, double started_s, const pool_job *finished)
{
    if (options->quiet) return;
    double elapsed_s = now_s() - started_s;
    double eta_s = done > 0 ? elapsed_s / done * (total - done) : 0;
    if (!tty) {
        /* Plain lines for a log: a failure at once, else every tenth of the way. */
        if (finished == NULL) return;
        bool notable = !finished->completed || finished->exit_code != 0;
        bool step = total > 0 && (uint64_t)done * 10 / total != (uint64_t)(done - 1) * 10 / total;
        if (!notable && !step && done != total) return;
        fprintf(stderr, "brokerlab: %s: %s (%u/%u %s)\n", finished->label,
                !finished->completed       ? "interrupted"
                : finished->exit_code == 0 ? "ok"
                : finished->exit_code == 1 ? "an expectation failed"
                                           : "error",
                done, total, options->unit);
        return;
    }
    enum { BAR = 30 };
    char bar[BAR + 1];
    uint32_t filled = total > 0 ? (uint32_t)((uint64_t)done * BAR / total) : BAR;
    for (uint32_t i = 0; i < BAR; i++) bar[i] = i < filled ? '#' : '.';
    bar[BAR] = '\0';
    fprintf(stderr, "\r\033[K[%s] %u/%u %s, %u running, %.0fs elapsed", bar, done, total,
            options->unit, running, elapsed_s);
    if (done > 0 && done < total) fprintf(stderr, ", eta %.0fs", eta_s);
    fflush(stderr);
}

bool pool_run(pool_job *jobs, uint32_t job_count, const pool_options *options)
{
    BL_ASSERT(options->workers >= 1);
    char share_text[32];
    uint64_t machine_bytes = memory_machine_bytes();
    snprintf(share_text, sizeof share_text, "%lluB",
             (unsigned long long)(machine_bytes / options->workers));
    const char *memory_share = machine_bytes == UINT64_MAX ? NULL : share_text;
    pid_t *pids = calloc(job_count + 1, sizeof *pids);
    double *started = calloc(job_count + 1, sizeof *started);
    BL_ASSERT(pids != NULL && started != NULL);
    struct sigaction action = {0}, old_int, old_term;
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: waitpid returns EINTR */
    g_interrupted = 0;
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    bool tty = isatty(STDERR_FILENO) == 1;
    double started_s = now_s();
    uint32_t next = 0, running = 0, done = 0;
    bool forwarded = false;
    for (uint32_t j = 0; j < job_count; j++) {
        jobs[j].completed = false;
        jobs[j].exit_code = -1;
        jobs[j].signal = 0;
        jobs[j].wall_s = 0;
    }
    show_progress(options, tty, 0, job_count, 0, started_s, NULL);
    while (running > 0 || (next < job_count && !g_interrupted)) {
        if (!g_interrupted && next < job_count && running < options->workers) {
            started[next] = now_s();
            pids[next] = launch(&jobs[next], memory_share);
            if (pids[next] < 0) {
                fprintf(stderr, "brokerlab: cannot start a run: %s\n", strerror(errno));
                g_interrupted = 1;
                continue;
            }
            next++;
            running++;
            continue;
        }
        if (g_interrupted && !forwarded) {
            /* Stop what runs: a run killed mid-way writes nothing (its results.json is
             * written atomically at its end). */
            for (uint32_t j = 0; j < next; j++) {
                if (pids[j] > 0) kill(pids[j], SIGTERM);
            }
            forwarded = true;
        }
        int status = 0;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            BL_ASSERTF(errno == EINTR, "waitpid: %s", strerror(errno));
            continue;
        }
        uint32_t j = 0;
        while (j < next && pids[j] != pid) j++;
        if (j == next) continue; /* not one of ours */
        pids[j] = 0;
        jobs[j].wall_s = now_s() - started[j];
        running--;
        done++;
        if (WIFEXITED(status) && WEXITSTATUS(status) == BL_EXIT_INTERRUPTED) {
            /* The run stopped on our SIGTERM, or on the terminal's Ctrl-C: not done. */
        } else if (WIFEXITED(status)) {
            jobs[j].completed = true;
            jobs[j].exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status) && !forwarded &&
                   !(WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)) {
            jobs[j].signal = WTERMSIG(status);
        }
        show_progress(options, tty, done, job_count, running, started_s, &jobs[j]);
    }
    if (tty && !options->quiet) fputc('\n', stderr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(pids);
    free(started);
    bool all = !g_interrupted;
    for (uint32_t j = 0; j < job_count; j++) {
        all &= jobs[j].completed || jobs[j].signal != 0;
    }
    return all;
}

void pool_log_tail(const pool_job *job, char *out, uint32_t size)
{
    BL_ASSERT(size > 0);
    snprintf(out, size, "no output");
    FILE *log = fopen(job->log_path, "r");
    if (log == NULL) return;
    /* The run's own diagnosis ("brokerlab: ...") if it gave one, else its last line. */
    char line[1024];
    bool diagnosis = false;
    while (fgets(line, sizeof line, log) != NULL) {
        size_t length = strlen(line);
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) length--;
        line[length] = '\0';
        bool own = strncmp(line, "brokerlab: ", 11) == 0;
        if (length > 0 && (own || !diagnosis)) snprintf(out, size, "%s", line);
        diagnosis |= own;
    }
    fclose(log);
}
