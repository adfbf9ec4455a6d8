{{ scorecard('email', ['sent', 'delivered', 'open', 'click', 'bounce', 'complaint', 'unsubscribe']) }}
