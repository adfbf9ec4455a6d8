{{ scorecard('voice', ['queued', 'answered', 'human', 'machine', 'busy', 'unanswered', 'failed', 'canceled', 'completed']) }}
