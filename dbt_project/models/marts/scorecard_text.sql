{{ scorecard('text', ['sent', 'delivered', 'undelivered', 'failed']) }}
