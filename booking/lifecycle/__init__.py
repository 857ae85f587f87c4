"""One life for a consultation request and its time: the gate every change goes through, its emails."""
